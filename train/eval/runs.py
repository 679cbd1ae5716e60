"""The run folder between `train run` and `train eval`: what training leaves next to the model
(heldout.jsonl, eval_inputs.json, log_history.json), read back as RunInputs; the latest run."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from voicetune import files, models
from voicetune.conversations import MIN_HELD_OUT as MIN_RECORDS  # below this a bootstrap interval over records says nothing
from voicetune.conversations import records as read_any  # interview.jsonl or messages JSONL
from voicetune.records import Record, read_records, write_records


SFT_MERGED = Path("sft") / "merged"  # `train run --preference` keeps the SFT model there, and `train eval` compares it too


class EvalError(ValueError):
    """The run cannot be evaluated; the message says why and what to do."""


def save_run_inputs(out: Path, *, base: str, system: str | None, held_out: Sequence[Record], train_ids: set[str], data_path: Path, log_history: list[dict]) -> None:
    """Everything `train eval` needs later, written next to the model."""
    write_records(out / "heldout.jsonl", held_out)
    # train ids are conversation ids
    train_chars = [len(r.answer) for r in read_any(data_path) if (r.conversation or r.id) in train_ids]
    info = {"created": time.time(), "base": base, "system": system, "data": str(data_path), "median_passage_chars": statistics.median(train_chars) if train_chars else None,
            "train_ids": sorted(train_ids)}
    files.write_text(out / "eval_inputs.json", json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    files.write_text(out / "log_history.json", json.dumps(log_history, indent=1) + "\n")


@dataclass(frozen=True)
class RunInputs:
    base: str
    merged: Path
    system: str | None
    held_out: list[Record]
    median_passage_chars: float
    log_history: list[dict]
    train_passages: list[str] = field(default_factory=list)  # the author's words the model learnt: the style reference


def load_run(run: Path, tuned: str | None = None) -> RunInputs:
    merged = Path(models.resolve(tuned)) if tuned else run / "merged"
    needed = ("heldout.jsonl", "eval_inputs.json") + (() if tuned else ("merged/config.json",))
    missing = [name for name in needed if not (run / name).exists()]
    if missing:
        raise EvalError(f"{run}: no {', '.join(missing)}: train first (`make train`), or give the folder `train run` wrote")
    info = json.loads((run / "eval_inputs.json").read_text())
    held_out = read_records(run / "heldout.jsonl")
    check_size(len(held_out), run / "heldout.jsonl")
    history = json.loads((run / "log_history.json").read_text()) if (run / "log_history.json").exists() else []
    median = info.get("median_passage_chars") or statistics.median(len(r.answer) for r in held_out)
    return RunInputs(info["base"], merged, info.get("system"), held_out, median, history, training_passages(info, held_out))


def training_passages(info: dict, held_out: Sequence[Record]) -> list[str]:
    """The answers the model was trained on, from the run's data file: by the ids training recorded, or,
    for a run from before those were kept, every record neither held out nor rejected."""
    data = Path(info.get("data") or "")
    if not data.is_file():
        return []
    records = read_any(data)
    if "train_ids" in info:  # conversation ids (a single-turn record's own id)
        ids = set(info["train_ids"])
        return [r.answer for r in records if (r.conversation or r.id) in ids]
    held = {r.id for r in held_out}
    return [r.answer for r in records if r.id not in held and r.status != "rejected" and r.question.strip() and r.answer.strip()]


def check_size(n: int, where: Path) -> None:
    if n == 0:
        raise EvalError(f"{where}: the held-out split is empty: nothing to evaluate on")
    if n < MIN_RECORDS:
        raise EvalError(
            f"{where}: {n} held-out records; a 95% interval needs at least {MIN_RECORDS}. "
            f"Retrain with more records or a larger --eval-share (the held-out share)"
        )


def latest_run(root: Path = Path("runs")) -> Path | None:
    """The run trained last. Not the folder changed last: evaluating an older run again writes into its folder."""
    candidates = sorted(root.glob("*/eval_inputs.json"), key=created)
    return candidates[-1].parent if candidates else None


def created(eval_inputs: Path) -> float:
    """When training wrote this run (seconds since the epoch): the time it recorded, or, for a run
    from before that was kept, when eval_inputs.json was written (only training writes it)."""
    try:
        return float(json.loads(eval_inputs.read_text())["created"])
    except (ValueError, KeyError, TypeError, OSError):
        return eval_inputs.stat().st_mtime
