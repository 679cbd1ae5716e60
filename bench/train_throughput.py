"""Trained tokens/s of QLoRA training, two ways, on the same conversations and the same model:

  1. reference: random batches of --batch-size padded to their longest, loss on every token
     (the recipe of most QLoRA notebooks)
  2. this project: packed sequences (no padding, attention within each conversation), loss and
     output head only on the assistant's tokens (train/fit.py)

    .venv/bin/python bench/train_throughput.py [--steps 6] [--batch-size 4] [--data interview.jsonl]

"Trained tokens" are the non-pad tokens with a label: every token for the reference, the
answers and their <|im_end|> for this project. Each way runs in its own process; peak memory is
that process's peak RSS (model load included, the same for both). Default data: the sample
memoir's paragraphs as answers. Target (embedded SmolLM2-135M, 2 CPU cores): >= 1.5x, no more memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sample_records(path: Path) -> Path:
    """The sample memoir's paragraphs as answers, one generic question each."""
    paragraphs = [p.strip() for p in (ROOT / "data" / "sample" / "memoir.md").read_text().split("\n\n") if len(p.strip()) > 200]
    out = Path(tempfile.mkdtemp()) / "interview.jsonl"
    out.write_text("".join(json.dumps({"id": f"p{i}", "question": "Tell me about that.", "answer": p, "source": {}}) + "\n" for i, p in enumerate(paragraphs)))
    return out


class Counting:
    """Wraps a collator; counts the trained tokens of every batch it makes."""

    def __init__(self, collate):
        self.collate, self.trained = collate, 0

    def __call__(self, batch):
        out = self.collate(batch)
        self.trained += int((out["labels"][:, 1:] != -100).sum())
        return out


def one_way(way: str, data_path: Path, steps: int, batch_size: int) -> dict:
    import torch
    from transformers import Trainer

    from synth.models import resolve
    from train import data as dataset
    from train import fit
    from train import model as qlora
    from train.collate import PadCollator
    from train.config import TrainConfig

    torch.manual_seed(0)
    base = resolve(None)
    tokenizer, added = qlora.load_tokenizer(base)
    config = TrainConfig(batch_size=batch_size, max_steps=steps, packing=way == "project")
    data = dataset.load(data_path, tokenizer, system=dataset.system_message("system", "the author"), max_length=config.max_length, eval_share=0.01, seed=0)
    model = qlora.add_lora(qlora.load_4bit(base, tokenizer, added), config.lora_r, config.lora_alpha, config.lora_dropout, False, added)
    model.config.use_cache = False
    if way == "reference":
        items = [{"input_ids": e.input_ids, "labels": list(e.input_ids)} for e in data.train]
        trainer_class = Trainer
    else:
        items = fit.rows(data.train, config)
        trainer_class = fit.assistant_loss_trainer()
    items = random.Random(0).sample(items, len(items)) * (1 + steps * batch_size // len(items))
    args = fit.training_arguments(config, Path(tempfile.mkdtemp()))
    args.eval_strategy, args.save_strategy, args.logging_steps = "no", "no", 10**6
    collate = Counting(PadCollator(tokenizer.pad_token_id))
    trainer = trainer_class(model=model, args=args, train_dataset=fit.as_dataset(items), data_collator=collate)
    if way == "project":
        trainer.model_accepts_loss_kwargs = True
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    return {"way": way, "trained_tokens": collate.trained, "seconds": seconds, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--way", choices=["reference", "project"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = args.data or sample_records(Path(tempfile.mkdtemp()))
    if args.way:
        print(json.dumps(one_way(args.way, data, args.steps, args.batch_size)))
        return
    results = {}
    for way in ("reference", "project"):
        cmd = [sys.executable, __file__, "--way", way, "--steps", str(args.steps), "--batch-size", str(args.batch_size), "--data", str(data)]
        lines = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()
        results[way] = json.loads(lines[-1])
    for r in results.values():
        print(f"{r['way']:>9}: {r['trained_tokens'] / r['seconds']:7.1f} trained tokens/s ({r['trained_tokens']} in {r['seconds']:.1f} s), peak RSS {r['peak_rss_mib']:.0f} MiB")
    ref, own = results["reference"], results["project"]
    ratio = (own["trained_tokens"] / own["seconds"]) / (ref["trained_tokens"] / ref["seconds"])
    print(f"ratio: {ratio:.2f}x trained tokens/s, peak memory {own['peak_rss_mib'] / ref['peak_rss_mib']:.2f}x the reference's")


if __name__ == "__main__":
    main()
