"""Per-record scores of the answers and the table they make: content (MiniLM similarity, ROUGE-L),
form (first person, length, stopping), style (style.py) and its trust check, each metric summarised
over records with a bootstrap interval of tuned - base. Pure functions of strings and numbers, but
for `similarities` (voicetune.embed)."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Sequence

from voicetune.engine import Generation
from voicetune.words import words  # the one word tokenizer: ROUGE-L's tokens
from train.eval import style
from train.eval.intervals import bootstrap_interval, paired_sd, records_needed

FIRST_PERSON = re.compile(r"\b(i|me|my|mine|myself|we|us|our|ours|ourselves)\b", re.IGNORECASE)
TRUSTED_AUC = 0.8

METRICS = {  # name -> (how per-record values are summarised, which way is better, a note for the reader)
    "nll": ("mean", "lower", "mean per-token negative log-likelihood of the true passage given its question, in the training format (nats; no generation: deterministic)"),
    "authorship": ("mean", "higher", "style of the generated answer: a classifier of function words and punctuation with topic words masked, 1 = writes like the author's training passages, 0 = like the base model's answers (cross-fitted)"),
    "style_sim": ("mean", "higher", "style of the generated answer: mean cosine to its 5 nearest training passages, same masked features, no classifier (0..1)"),
    "similarity": ("mean", "higher", "content: cosine of MiniLM embeddings, answer vs passage (-1..1)"),
    "rouge_l": ("mean", "higher", "content: ROUGE-L F1 vs passage (0..1)"),
    "first_person": ("mean", "higher", "share of answers in the first person"),
    "length_ratio": ("median", "", "median over answers of answer chars / the author's median passage chars (1 = typical)"),
    "stopped": ("mean", "higher", "share of answers that ended with `<|im_end|>` before the token limit"),
    "repetition": ("mean", "lower", "share of the answer's word 4-grams that repeat an earlier one (0: no loop)"),
}


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


def repetition(text: str, n: int = 4) -> float:
    """Share of the text's word n-grams that already occurred earlier in it (0 for under n + 1 words)."""
    tokens = words(text)
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


def first_person(text: str) -> bool:
    return FIRST_PERSON.search(text) is not None


def similarities(answers: Sequence[str], passages: Sequence[str]) -> list[float]:
    """Cosine of each answer's MiniLM embedding with its passage's."""
    from voicetune.embed import embed

    vectors = embed(list(answers) + list(passages))
    n = len(answers)
    return (vectors[:n] * vectors[n:]).sum(-1).tolist()


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
        "repetition": [repetition(a.text) for a in answers],
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


def style_scores(train_passages: Sequence[str], passages: Sequence[str], base: Sequence[str], tuned: Sequence[str]) -> tuple[dict[str, dict[str, list[float]]], StyleCheck | None]:
    """Per-record style scores ("authorship", "style_sim") of the base and tuned answers, and the check
    on the true passages; nothing when the run's training passages are not at hand."""
    if len(train_passages) < style.K or sum(1 for b in base if b.strip()) < 2 * style.FOLDS:
        return {"base": {}, "tuned": {}}, None
    result = style.authorship(train_passages, passages, base, tuned)
    reference = style.reference(train_passages)
    scores = {"base": {"authorship": result.base, "style_sim": style.score(reference, base)},
              "tuned": {"authorship": result.tuned, "style_sim": style.score(reference, tuned)}}
    return scores, StyleCheck(statistics.mean(result.passage), statistics.mean(result.base), result.check_auc)
