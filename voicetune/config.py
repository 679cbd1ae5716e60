"""Defaults both stages share, and the one rule for reading a config dataclass from a dict.

`PERSONA` is the one default name of who is interviewed: synth's question prompt and train's
system prompt both use it, so a model is trained as the person the questions were asked to.
The split's defaults are train run's, and `synth export --format hf` splits the same way.
"""

from __future__ import annotations

from dataclasses import fields

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
