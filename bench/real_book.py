"""The whole path on a real book, on the CPU: synth (vLLM) -> train (QLoRA) -> eval, each stage timed.

    .venv/bin/python bench/real_book.py [--limit 220] [--eval-share 0.2] [--out runs/real_book] [--preference dpo [--rejected base]]

The book is the Sherlock Holmes PDF in ../shared/corpora/pdf (01_*.pdf); the model the embedded
SmolLM2-135M-Instruct. Each stage runs the project's own CLI in a subprocess (what a user runs),
and is skipped when its output is already there, so a stopped run continues (`--stages eval`
re-evaluates). It prints the wall time of each stage, the machine, and the evaluation table;
`OUT/bench.json` keeps them. With `--preference dpo` it also trains the preference stage after SFT
(its rejected side the SFT model's own answers, made inside the stage; with `--rejected base`, the
base model's from `synth pairs`, run first), prints both training stages' times (`train run`
measures them: RUN/stage_seconds.json) and evaluates base, SFT and SFT+preference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora" / "pdf"


def book() -> Path:
    found = sorted(CORPORA.glob("01_*.pdf"))
    if not found:
        sys.exit(f"no {CORPORA}/01_*.pdf: this benchmark needs the shared corpora next to the repository")
    return found[0]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 2**20 for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), 0)
    from voicetune.models import compute_dtype, dtype_name

    return f"{cpu}, {os.cpu_count()} cores, {memory} GiB, {dtype_name(compute_dtype())}"


def stage(name: str, command: list[str], times: dict, save) -> None:
    print(f"\n== {name}: {' '.join(command)}", flush=True)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT)
    times[name] = round(time.perf_counter() - start, 1)
    save()  # each stage's time is kept, also when a later one fails
    print(f"== {name}: {times[name]:.0f} s (exit {done.returncode})", flush=True)
    if done.returncode != 0:
        sys.exit(f"{name} failed (exit {done.returncode}); fix it and re-run: finished stages are skipped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "real_book")
    parser.add_argument("--limit", type=int, default=220, help="passages of the book to use")
    parser.add_argument("--eval-share", type=float, default=0.2, help="share of records held out")
    parser.add_argument("--epochs", type=float, default=3)
    parser.add_argument("--max-tokens", type=int, default=512, help="token limit of each eval answer")
    parser.add_argument("--stages", default="synth,pairs,train,eval")
    parser.add_argument("--preference", choices=["dpo"], default=None, help="a preference stage after SFT")
    from train.config import REJECTED

    parser.add_argument("--rejected", choices=REJECTED, default="own", help="its rejected side (train run --rejected)")
    args = parser.parse_args()
    stages = set(args.stages.split(","))
    data, run = args.out / "data" / "interview.jsonl", args.out / "run"
    times_path = args.out / "bench.json"
    previous = json.loads(times_path.read_text()) if times_path.exists() else {}
    times = previous.get("seconds", {})
    py = [sys.executable, "-m"]

    def save() -> dict:
        summary = {"book": book().name, "limit": args.limit, "eval_share": args.eval_share, "epochs": args.epochs,
                   "machine": machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "seconds": times}
        args.out.mkdir(parents=True, exist_ok=True)
        times_path.write_text(json.dumps(summary, indent=2) + "\n")
        return summary

    if "synth" in stages and not (data.exists() and (args.out / "data" / "interview.manifest.json").exists()):
        stage("synth", py + ["synth", "run", str(book()), "--out", str(data), "--limit", str(args.limit)], times, save)
    if args.preference and args.rejected == "base" and "pairs" in stages and not data.with_name("interview.pairs.jsonl").exists():
        stage("pairs", py + ["synth", "pairs", str(data)], times, save)
    if "train" in stages and not (run / "merged" / "config.json").exists():
        stage("train", py + ["train", "run", "--data", str(data), "--out", str(run), "--epochs", str(args.epochs),
                             "--eval-share", str(args.eval_share), "--no-eval", *(["--preference", args.preference, "--rejected", args.rejected] if args.preference else [])], times, save)
    if (run / "stage_seconds.json").exists():  # the training stages inside `train run`
        times.update({f"train: {name}": seconds for name, seconds in json.loads((run / "stage_seconds.json").read_text()).items()})
    if "eval" in stages:
        stage("eval", py + ["train", "eval", str(run), "--max-tokens", str(args.max_tokens)], times, save)
    summary = save()
    print("\n" + "\n".join(f"{name:>17}: {seconds:7.0f} s" for name, seconds in times.items()))
    if "train: preference" in times:
        print(f"preference / SFT time: {times['train: preference'] / times['train: sft']:.2f}")
    print(f"machine: {summary['machine']} ({summary['date']})")
    if (run / "report.md").exists():
        print(f"report: {run / 'report.md'}")


if __name__ == "__main__":
    main()
