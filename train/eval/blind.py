"""The blind test's answers: a person was shown a held-out question with the author's passage and
the tuned model's answer in random order and guessed which was the author's. `synth review --blind
RUN` writes RUN/blind.jsonl, one guess per line:

    {"id": ..., "shown": ["author", "tuned"], "guess": "author" | "tuned", "correct": true | false}

The share guessed right, with its 95% interval, says whether a reader can tell them apart: 50% means
they cannot, 100% that the model is easy to spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voicetune.records import MalformedFile, iter_jsonl
from train.eval.intervals import wilson_interval

FILE = "blind.jsonl"


class BlindFileError(ValueError):
    pass


@dataclass(frozen=True)
class BlindResult:
    guesses: int
    correct: int
    low: float  # 95% Wilson interval of the share guessed right
    high: float

    @property
    def share(self) -> float:
        return self.correct / self.guesses

    def __str__(self) -> str:
        verdict = ("readers cannot tell them apart" if self.low <= 0.5 <= self.high
                   else "readers spot the model" if self.low > 0.5 else "readers take the model for the author")
        return (f"blind test: {self.correct} of {self.guesses} guesses right ({self.share:.0%}, 95% interval "
                f"[{self.low:.0%}, {self.high:.0%}]; 50% = indistinguishable): {verdict}")


def read(run: Path) -> BlindResult | None:
    """The blind test's result in run, or None when nobody took it. A malformed line is an error naming it;
    a record guessed twice counts once, its last guess (a person may change their mind)."""
    path = run / FILE
    if not path.exists():
        return None
    last: dict[str, bool] = {}
    try:
        rows = list(iter_jsonl(path.read_bytes(), path))
    except MalformedFile as e:
        raise BlindFileError(str(e)) from None
    for number, row in rows:
        try:
            correct = row["correct"]
            if not isinstance(correct, bool) or row["guess"] not in ("author", "tuned"):
                raise ValueError("guess must be 'author' or 'tuned' and correct true or false")
            last[str(row["id"])] = correct
        except (ValueError, KeyError, TypeError) as e:
            raise BlindFileError(f"{path}:{number}: not a blind-test guess ({e}); fix or delete the line") from None
    if not last:
        return None
    correct = sum(last.values())
    return BlindResult(len(last), correct, *wilson_interval(correct, len(last)))
