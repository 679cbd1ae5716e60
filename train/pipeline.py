"""The train stage end to end: reviewed JSONL -> adapter -> merged model -> a first answer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synth import models
from train import data as dataset
from train import fit, merge
from train import model as qlora
from train.config import TrainConfig


@dataclass(frozen=True)
class Result:
    merged: Path | None  # None on ranks other than 0
    losses: list[fit.EpochLoss]
    data: dataset.Dataset
    question: str | None = None
    reply: merge.Reply | None = None


def latest_synth_output(root: Path = Path("data")) -> Path | None:
    """The most recently written interview.jsonl under data/ (what `make synth` wrote last)."""
    candidates = sorted(root.glob("*/interview.jsonl"), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None


def default_output(data_path: Path) -> Path:
    return Path("runs") / data_path.parent.name


def run(config: TrainConfig, data_path: Path, out: Path, *, log=print) -> Result:
    base = models.resolve(config.base)
    tokenizer, added = qlora.load_tokenizer(base)
    system = dataset.system_message(config.system_prompt, config.persona)
    data = dataset.load(
        data_path, tokenizer, system=system, max_length=config.max_length, eval_share=config.eval_share, seed=config.seed
    )
    log(
        f"{data_path}: training on {len(data.train)} conversations, holding out {len(data.eval)}"
        f" (skipped {data.skipped_no_question} without a question, dropped {data.dropped_too_long} over {config.max_length} tokens)"
    )
    trainer, losses = fit.train(config, base, tokenizer, added, data, out)
    if not trainer.is_world_process_zero():
        return Result(None, losses, data)
    del trainer
    merged = merge.merge(base, out / "adapter", tokenizer, out / "merged")
    question = data.held_out[0].question
    return Result(merged, losses, data, question, merge.ask(merged, question, system))
