"""Conversations (voicetune.conversations) -> tokenized train/eval splits, and the system
message a finished run trained with."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from train.data.chatml import Example, tokenize
from voicetune.conversations import Conversation, DataError, read, split, usable
from voicetune.records import Record


@dataclass(frozen=True)
class Dataset:
    train: list[Example]
    eval: list[Example]
    held_out: list[Record]  # every turn of the held-out conversations, to ask the trained model
    skipped_no_question: int
    dropped_too_long: int  # conversations over max_length
    statuses: dict[str, int] = field(default_factory=dict)  # review status -> records used (train + held out)
    excluded: int = 0  # records left out for their status (rejected; with only_reviewed, pending too)
    held_out_conversations: list[Conversation] = field(default_factory=list)


def trained_system(model_dir: Path) -> str | None:
    """The system message the run that made `model_dir` (RUN/merged) trained with: what `train
    chat` asks with, so the model hears what it learned under. None if it cannot tell."""
    info = Path(model_dir).parent / "eval_inputs.json"  # written by train run (train/eval/runs.py)
    try:
        return json.loads(info.read_text(encoding="utf-8")).get("system")
    except (OSError, ValueError, AttributeError):
        return None


def load(path: Path, tokenizer, *, system: str | None, max_length: int, eval_share: float, seed: int, only_reviewed: bool = False) -> Dataset:
    selection = usable(read(path), only_reviewed)
    chosen = selection.conversations
    if len(chosen) < 2:
        review = "; --only-reviewed uses only accepted and edited records: review more (make review)" if only_reviewed else ""
        raise DataError(f"{path}: {len(chosen)} usable conversations; training needs at least 2 (records need a question and an answer){review}")
    train, held_out = split(chosen, eval_share, seed)
    examples = {c.id: tokenize(c.id, c.messages(system), tokenizer) for c in chosen}

    def fitting(side: list[Conversation]) -> list[Conversation]:
        return [c for c in side if len(examples[c.id].input_ids) <= max_length]

    train, held_out = fitting(train), fitting(held_out)
    if not train or not held_out:
        raise DataError(f"{path}: {len(chosen) - len(train) - len(held_out)} of {len(chosen)} conversations are over --max-length {max_length} tokens,"
                        f" leaving {len(train)} to train on and {len(held_out)} to hold out: raise --max-length (see `train inspect`)")
    used = [r for c in train + held_out for r in c.turns]
    return Dataset(
        train=[examples[c.id] for c in train],
        eval=[examples[c.id] for c in held_out],
        held_out=[r for c in held_out for r in c.turns],
        skipped_no_question=selection.skipped_no_question,
        dropped_too_long=len(chosen) - len(train) - len(held_out),
        statuses=dict(Counter(r.status for r in used)),
        excluded=selection.excluded,
        held_out_conversations=held_out,
    )
