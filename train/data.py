"""interview.jsonl -> tokenized train/eval splits."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from synth import prompts
from synth.records import Record, read_records
from train.chatml import Example, to_messages, tokenize


MIN_HELD_OUT = 5  # the fewest held-out records `train eval` gives a bootstrap interval for


class DataError(ValueError):
    """The data cannot be trained on; the message says why and what to do."""


@dataclass(frozen=True)
class Dataset:
    train: list[Example]
    eval: list[Example]
    held_out: list[Record]  # the eval records, to ask the trained model
    skipped_no_question: int
    dropped_too_long: int
    statuses: dict[str, int] = field(default_factory=dict)  # review status -> records used (train + held out)
    excluded: int = 0  # records left out for their status (rejected; with only_reviewed, pending too)


def system_message(template: str | None, persona: str) -> str | None:
    return prompts.render(prompts.load(template), persona=persona).strip() if template else None


def select(records: list[Record], only_reviewed: bool = False) -> list[Record]:
    """The records training uses: all but the rejected ones; with only_reviewed, only what a
    reviewer accepted or edited."""
    keep = ("accepted", "edited") if only_reviewed else ("pending", "accepted", "edited")
    return [r for r in records if r.status in keep]


def load(path: Path, tokenizer, *, system: str | None, max_length: int, eval_share: float, seed: int, only_reviewed: bool = False) -> Dataset:
    records = read_records(path)
    chosen = select(records, only_reviewed)
    usable = [r for r in chosen if r.question.strip() and r.answer.strip()]
    examples = {r.id: tokenize(r.id, to_messages(r.question, r.answer, system), tokenizer) for r in usable}
    fitting = [r for r in usable if len(examples[r.id].input_ids) <= max_length]
    if len(fitting) < 2:
        review = "; --only-reviewed uses only accepted and edited records: review more (make review)" if only_reviewed else ""
        raise DataError(f"{path}: {len(fitting)} usable records; training needs at least 2 (records need a question and an answer){review}")
    shuffled = random.Random(seed).sample(fitting, len(fitting))
    # From 25 records on, hold out at least MIN_HELD_OUT: `train eval` needs that many for an interval.
    n_eval = max(1, round(len(shuffled) * eval_share), MIN_HELD_OUT if len(shuffled) >= 5 * MIN_HELD_OUT else 0)
    held_out, train = shuffled[:n_eval], shuffled[n_eval:]
    return Dataset(
        train=[examples[r.id] for r in train],
        eval=[examples[r.id] for r in held_out],
        held_out=held_out,
        skipped_no_question=len(chosen) - len(usable),
        dropped_too_long=len(usable) - len(fitting),
        statuses=dict(Counter(r.status for r in fitting)),
        excluded=len(records) - len(chosen),
    )
