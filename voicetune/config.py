"""Defaults both stages share, and the one rule for reading a config dataclass from a dict.

`PERSONA` is the one default name of who is interviewed: synth's question prompt and train's
system prompt both use it, so a model is trained as the person the questions were asked to.
The split's defaults are train run's, and `synth export --format hf` splits the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

PERSONA = "the author"
SYSTEM_PROMPT = "system"  # template in prompts/ (or a path) of the system message training adds
EVAL_SHARE = 0.1  # share of conversations held out
SEED = 42  # train run's seed, which also seeds the split


def strict(cls, values: dict, what: str):
    """`cls(**values)`, refusing a key that is not one of its fields (a misspelt option) by name."""
    unknown = set(values) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"unknown {what} option(s): {', '.join(sorted(unknown))}")
    return cls(**values)


@dataclass(frozen=True)
class Range:
    """The values a numeric option takes: from `low` to `high` (None: unbounded), either end
    excluded where `open_low`/`open_high`; `also` is one more value allowed outside (-1: no limit)."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    also: float | None = None

    def __contains__(self, value) -> bool:
        if value == self.also:
            return True
        if not isinstance(value, (int, float)) or value != value:  # NaN is in no range
            return False
        above = self.low is None or (value > self.low if self.open_low else value >= self.low)
        below = self.high is None or (value < self.high if self.open_high else value <= self.high)
        return above and below

    def __str__(self) -> str:
        if self.high is None:
            text = f"{'>' if self.open_low else '≥'} {self.low}"
        elif self.low is None:
            text = f"{'<' if self.open_high else '≤'} {self.high}"
        else:
            text = f"in {'(' if self.open_low else '['}{self.low}, {self.high}{')' if self.open_high else ']'}"
        return text if self.also is None else f"{text} (or {self.also})"


class BadOption(ValueError):
    """An option outside its range; the message names the option, its range and the value given."""


def check_range(option: str, value, allowed: Range) -> None:
    if value is not None and value not in allowed:
        raise BadOption(f"{option} must be {allowed}, got {value}")


def check_ranges(config, ranges: dict[str, Range], options: dict[str, str] | None = None) -> None:
    """Every field of `config` named in `ranges` within its range (None: unset, always allowed),
    named as the command-line option that sets it (`options`, else --the-field-name)."""
    for name, allowed in ranges.items():
        option = (options or {}).get(name) or "--" + name.replace("_", "-")
        check_range(option, getattr(config, name), allowed)


POSITIVE = Range(1)  # a count of at least one
NATURAL = Range(0)  # a count that may be zero
SEED_RANGE = Range(0, 2**32 - 1)  # what numpy and vLLM's engine seed accept
SHARE = Range(0, 1, open_high=True)  # a share held out: all of it would leave nothing to train on


def option_range(allowed: Range):
    """A click callback refusing a value out of `allowed` as one line, for an option that no
    config dataclass holds (those check themselves in __post_init__)."""

    def check(ctx, param, value):
        import click

        try:
            check_range(max(param.opts, key=len), value, allowed)
        except BadOption as e:
            raise click.ClickException(str(e)) from None
        return value

    return check
