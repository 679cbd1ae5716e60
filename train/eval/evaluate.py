"""Does the tuned model sound like the author? Held-out records -> base and tuned model -> metrics.

    runs/<book>/heldout.jsonl (runs.py) ─transformers─▶ NLL of the true passage (likelihood.py, deterministic)
                              ─vLLM (base, then merged; greedy; answers.py)─▶ answers ─▶ style (style.py), content, stopping (metrics.py)
                              ─▶ [Metric] with bootstrap intervals (intervals.py) + blind.jsonl (blind.py) ─▶ report.md (report.py)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from voicetune import models
from voicetune.engine import Generation, Sampling
from train.eval import answers, blind, likelihood, metrics
from train.eval.metrics import Metric, StyleCheck
from train.eval.runs import SFT_MERGED, RunInputs, load_run


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
    sft: list[Generation] | None = None  # a run with a preference stage: the SFT model's answers
    comparisons: dict[str, list[Metric]] = field(default_factory=dict)  # "base -> SFT", "SFT -> tuned": rows of the later minus the earlier

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


LOG = "eval.log"  # in the run folder: the answer engines' own output


def evaluate(run: Path, *, base: str | None = None, tuned: str | None = None, max_tokens: int = 256, frequency_penalty: float = answers.FREQUENCY_PENALTY, log=print, progress=None,
             verbose: bool = False) -> Evaluation:
    """Base and tuned model on run's held-out records: the likelihood of the true passages, then
    answers to the questions scored for style and content against the true passages. vLLM's own
    output goes to run/eval.log (and to `progress` too if `verbose`)."""
    inputs = load_run(run, tuned)
    base_model = models.resolve(base) if base else inputs.base
    pair = (("base", base_model), *((("sft", str(run / SFT_MERGED)),) if (run / SFT_MERGED / "config.json").exists() and not tuned else ()),
            ("tuned", str(inputs.merged)))
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    nll = {name: [s.nll for s in likelihood.score(model, inputs.held_out, inputs.system, log=log)] for name, model in pair}
    seconds["likelihood"] = time.perf_counter() - start
    sampling = answers.sampling(max_tokens, frequency_penalty)
    convs = answers.conversations([r.question for r in inputs.held_out], inputs.system)
    generated = {}
    for name, model in pair:
        start = time.perf_counter()
        generated[name] = answers.generate(model, convs, sampling, log=log, progress=progress, log_file=run / LOG, verbose=verbose)
        seconds[f"answers ({name})"] = time.perf_counter() - start
    log("Scoring ...")
    start = time.perf_counter()
    scores, check = _scores(inputs, nll, generated)
    seconds["scoring"] = time.perf_counter() - start
    comparisons = {"base -> SFT": metrics.summarize(scores["base"], scores["sft"]), "SFT -> tuned": metrics.summarize(scores["sft"], scores["tuned"])} if "sft" in scores else {}
    return Evaluation(run, base_model, inputs, generated["base"], generated["tuned"], scores, metrics.summarize(scores["base"], scores["tuned"]),
                      sampling, check, blind.read(run), seconds, generated.get("sft"), comparisons)


def _scores(inputs: RunInputs, nll: dict[str, list[float]], generated: dict[str, list[Generation]]) -> tuple[dict, StyleCheck | None]:
    """"base"/"tuned" (and "sft" when generated has it) -> metric -> per-record values, and the style check."""
    passages = [r.answer for r in inputs.held_out]
    names = list(generated)
    sims = metrics.similarities([g.text for name in names for g in generated[name]], passages * len(names))
    n = len(passages)
    texts = {name: [g.text for g in generated[name]] for name in names}
    styles, check = metrics.style_scores(inputs.train_passages, passages, texts["base"], texts["tuned"])
    if "sft" in texts:  # scored by the same cross-fitted classifiers (they are trained on base answers only)
        styles["sft"] = metrics.style_scores(inputs.train_passages, passages, texts["base"], texts["sft"])[0]["tuned"]
    scores = {
        name: {"nll": nll[name], **styles[name], **metrics.per_record(generated[name], passages, inputs.median_passage_chars, sims[i * n : (i + 1) * n])}
        for i, name in enumerate(names)
    }
    return scores, check
