"""interview.jsonl -> tokenized train/eval splits."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from synth import prompts
from synth.records import Record, read_records
from train.chatml import Example, to_messages, tokenize


class DataError(ValueError):
    """The data cannot be trained on; the message says why and what to do."""


@dataclass(frozen=True)
class Dataset:
    train: list[Example]
    eval: list[Example]
    held_out: list[Record]  # the eval records, to ask the trained model
    skipped_no_question: int
    dropped_too_long: int


def system_message(template: str | None, persona: str) -> str | None:
    return prompts.render(prompts.load(template), persona=persona).strip() if template else None


def load(path: Path, tokenizer, *, system: str | None, max_length: int, eval_share: float, seed: int) -> Dataset:
    records = read_records(path)
    usable = [r for r in records if r.question.strip() and r.answer.strip()]
    examples = {r.id: tokenize(r.id, to_messages(r.question, r.answer, system), tokenizer) for r in usable}
    fitting = [r for r in usable if len(examples[r.id].input_ids) <= max_length]
    if len(fitting) < 2:
        raise DataError(f"{path}: {len(fitting)} usable records; training needs at least 2 (records need a question and an answer)")
    shuffled = random.Random(seed).sample(fitting, len(fitting))
    n_eval = max(1, round(len(shuffled) * eval_share))
    held_out, train = shuffled[:n_eval], shuffled[n_eval:]
    return Dataset(
        train=[examples[r.id] for r in train],
        eval=[examples[r.id] for r in held_out],
        held_out=held_out,
        skipped_no_question=len(records) - len(usable),
        dropped_too_long=len(usable) - len(fitting),
    )
