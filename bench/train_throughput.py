"""QLoRA training throughput, two ways, on the same conversations and the same model:

  1. reference: random batches of --batch-size padded to their longest, loss on every token
     (the recipe of most QLoRA notebooks)
  2. this project: packed steps (train/fit.py: rows of packed conversations, as many as the
     device's step budget takes; flash-attention's padding-free row where it is installed),
     loss and output head only on the assistant's tokens

    python bench/train_throughput.py [--steps 6] [--batch-size 4] [--data interview.jsonl | --book PDF --passages 400] [--base DIR]

Both ways are counted in the same unit: non-pad tokens processed per second (every token of
every conversation a step computes on). Trained tokens per second (tokens whose label is
trained: every token for the reference, the answers and their <|im_end|> for this project) are
the second column. Each way runs in its own process. Memory: on a GPU the peak allocated by
torch (`torch.cuda.max_memory_allocated`), on a CPU the process's peak RSS (model load
included, the same for both). The first step is a warm-up and not timed. Default data: the
sample memoir's paragraphs as answers; `--book` uses a book's passages (synth's segmentation).
A random-weight model of another shape for --base: scripts/random_model.py.
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


def write_records(answers: list[str]) -> Path:
    out = Path(tempfile.mkdtemp()) / "interview.jsonl"
    out.write_text("".join(json.dumps({"id": f"p{i}", "question": "Tell me about that.", "answer": a, "source": {}}) + "\n" for i, a in enumerate(answers)))
    return out


def sample_answers() -> list[str]:
    """The sample memoir's paragraphs."""
    return [p.strip() for p in (ROOT / "data" / "sample" / "memoir.md").read_text().split("\n\n") if len(p.strip()) > 200]


def book_answers(book: Path, passages: int) -> list[str]:
    from synth.pipeline import SegmentOptions, passages as segment

    return [p.text for p in segment(book, SegmentOptions(limit=passages))]


class Counting:
    """Wraps a collator; counts the non-pad and the trained tokens of every batch it makes,
    after the first (warm-up) step."""

    def __init__(self, collate, skip: int):
        self.collate, self.skip = collate, skip
        self.processed = self.trained = 0

    def __call__(self, batch):
        out = self.collate(batch)
        if self.skip > 0:
            self.skip -= 1
        else:
            self.processed += sum(len(item["input_ids"]) for item in batch)
            self.trained += int((out["labels"][:, 1:] != -100).sum())
        return out


def timer():
    """A callback that starts the clock when the first (warm-up) step ends."""
    from transformers import TrainerCallback

    class Timer(TrainerCallback):
        start = None

        def on_step_end(self, args, state, control, **kwargs):
            if self.start is None:
                _sync()
                self.start = time.perf_counter()

    return Timer()


def _sync():
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def one_way(way: str, data_path: Path, steps: int, batch_size: int, base: str | None, max_length: int) -> dict:
    import torch
    from transformers import Trainer

    from voicetune.models import resolve
    from train.data import dataset
    from voicetune.conversations import system_message
    from train import fit
    from train.model import qlora
    from train.data.collate import PadCollator
    from train.config import TrainConfig

    torch.manual_seed(0)
    base = resolve(base)
    gpu = torch.cuda.is_available()
    tokenizer, added = qlora.load_tokenizer(base)
    config = TrainConfig(batch_size=batch_size, max_steps=steps + 1, packing=way == "project", max_length=max_length)
    data = dataset.load(data_path, tokenizer, system=system_message("system", "the author"), max_length=config.max_length, eval_share=0.01, seed=0)
    model = qlora.add_lora(qlora.load_4bit(base, tokenizer, added), config.lora_r, config.lora_alpha, config.lora_dropout, gpu, added)
    model.config.use_cache = False
    rows_per_step = None
    if way == "reference":
        items = [{"input_ids": e.input_ids, "labels": list(e.input_ids)} for e in data.train]
        trainer_class, collate = Trainer, PadCollator(tokenizer.pad_token_id)
        per_step = batch_size
    else:
        shape = fit.layout(data.train, config)
        items, rows_per_step, per_step = fit.rows(data.train, config, shape.row_tokens), shape.rows, shape.rows
        trainer_class, collate = fit.assistant_loss_trainer(), fit.collator(tokenizer, model)
    items = random.Random(0).sample(items, len(items)) * (1 + (steps + 1) * per_step // len(items))
    args = fit.training_arguments(config, Path(tempfile.mkdtemp()), rows_per_step)
    args.eval_strategy, args.save_strategy, args.logging_steps = "no", "no", 10**6
    counting, clock = Counting(collate, skip=args.gradient_accumulation_steps), timer()
    trainer = trainer_class(model=model, args=args, train_dataset=fit.as_dataset(items), data_collator=counting, callbacks=[clock])
    if way == "project":
        trainer.model_accepts_loss_kwargs = True
    if gpu:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    _sync()
    seconds = time.perf_counter() - clock.start
    memory = torch.cuda.max_memory_allocated() / 2**30 if gpu else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {"way": way, "processed": counting.processed, "trained": counting.trained, "seconds": seconds, "memory_gib": memory,
            "memory_kind": "GPU peak allocated" if gpu else "peak RSS", "attention": model.config._attn_implementation,
            "rows_per_step": per_step, "steps": steps, "device": torch.cuda.get_device_name() if gpu else "cpu"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=6, help="timed steps (after one warm-up step)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--data", type=Path, default=None, help="an interview.jsonl")
    parser.add_argument("--book", type=Path, default=None, help="a book whose passages are the answers")
    parser.add_argument("--passages", type=int, default=400)
    parser.add_argument("--base", default=None, help="base model folder [the embedded SmolLM2-135M]")
    parser.add_argument("--way", choices=["reference", "project"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.way:
        print(json.dumps(one_way(args.way, args.data, args.steps, args.batch_size, args.base, args.max_length)))
        return
    data = args.data or write_records(book_answers(args.book, args.passages) if args.book else sample_answers())
    results = {}
    for way in ("reference", "project"):
        cmd = [sys.executable, __file__, "--way", way, "--steps", str(args.steps), "--batch-size", str(args.batch_size),
               "--max-length", str(args.max_length), "--data", str(data), *(["--base", args.base] if args.base else [])]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{way} failed:\n{done.stderr[-3000:]}")
        results[way] = json.loads(done.stdout.strip().splitlines()[-1])
    ref, own = results["reference"], results["project"]
    print(f"{ref['device']}, batch {args.batch_size}, {args.steps} timed steps, {ref['memory_kind']}")
    print(f"{'way':>9}  {'non-pad tok/s':>13}  {'trained tok/s':>13}  {'memory GiB':>10}  rows/step  attention")
    for r in (ref, own):
        print(f"{r['way']:>9}  {r['processed'] / r['seconds']:13.1f}  {r['trained'] / r['seconds']:13.1f}  {r['memory_gib']:10.2f}"
              f"  {r['rows_per_step']:>9}  {r['attention']}   ({r['processed']} tokens in {r['seconds']:.1f} s)")
    ratio = (own["processed"] / own["seconds"]) / (ref["processed"] / ref["seconds"])
    print(f"ratio: {ratio:.2f}x non-pad tokens/s, memory {own['memory_gib'] / ref['memory_gib']:.2f}x the reference's")


if __name__ == "__main__":
    main()
