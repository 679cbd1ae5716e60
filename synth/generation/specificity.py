"""How well a question points to its own passage: the rank of that passage among the book's
passages when all of them are ranked by similarity to the question (1 = its own comes first).

Two independent measures over the same ranking question:
  - MiniLM (voicetune.embed: all-MiniLM-L6-v2): cosine of mean-pooled sentence embeddings. This is
    what generation uses to pick and retry questions.
  - BM25 over words: a lexical check that does not share MiniLM's blind spots, so a benchmark that
    selects by one can report the other.

A record's `specificity` is 1 / rank; over a file, recall@1 is the share of rank 1 and MRR the
mean of 1 / rank (a question that was never written counts 0).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

from voicetune.embed import embed
from voicetune.words import COMMON, STOPWORDS, words

MAX_RANK = 10  # a question whose own passage ranks below this points elsewhere: retried like a rejected reply (bench/question_specificity.py)
KEY_TERMS = 3  # words a prompt may name as what a passage is about ($topics)
PARAPHRASE = 0.9  # MiniLM cosine of two questions at or above which they ask the same thing

Ranker = Callable[[Sequence[str], Sequence[int]], list[int]]  # (questions, own passage index each) -> ranks


def rank_of(scores: Sequence[float], own: int) -> int:
    """1 + how many passages score strictly higher than the own one (ties go to the own passage)."""
    return 1 + sum(1 for s in scores if s > scores[own])


class MiniLMRanker:
    """Ranks the book's passages for a question by MiniLM cosine; passages are embedded once."""

    def __init__(self, passages: Sequence[str]):
        self.vectors = embed(passages)
        self.asked: dict = {}  # question (or opening) -> its embedding: each is embedded once

    def _questions(self, questions: Sequence[str]):
        import torch

        new = [q for q in dict.fromkeys(questions) if q not in self.asked]
        if new:
            self.asked.update(zip(new, embed(new)))
        return torch.stack([self.asked[q] for q in questions])

    def __call__(self, questions: Sequence[str], own: Sequence[int]) -> list[int]:
        if not questions:
            return []
        scores = (self._questions(questions) @ self.vectors.T).tolist()
        return [rank_of(row, i) for row, i in zip(scores, own)]

    def fit(self, questions: Sequence[str], texts: Sequence[str]) -> list[float]:
        """MiniLM cosine of each question to its own text (generate.py: to its passage's opening).
        On 100 memoir questions read blind (12 kept as written), the cosine to the opening told kept
        from not with AUC 0.84, to the whole passage 0.76 (README, "Questions a reviewer keeps")."""
        if not questions:
            return []
        return (self._questions(questions) * self._questions(texts)).sum(1).tolist()

    def paraphrases(self, question: str, earlier: Sequence[str], threshold: float = PARAPHRASE) -> list[str]:
        """The earlier questions that ask what `question` asks in other words, most similar first."""
        if not earlier:
            return []
        cosines = (self._questions(earlier) @ self._questions([question])[0]).tolist()
        return [q for c, q in sorted(zip(cosines, earlier), key=lambda x: -x[0]) if c >= threshold]


class BM25Ranker:
    """Okapi BM25 (k1 1.2, b 0.75, idf log(1 + (n - df + 0.5) / (df + 0.5))) over lower-cased words:
    the independent, lexical measure. bm25s scores it from a sparse index (Lucene's form, without the
    constant factor k1 + 1: the same ranks). On the Sherlock Holmes book's 904 passages it gave the
    same rank as the loop over passages it replaced for every question of five kinds, 30x faster
    (first sentences as questions: 0.06 s against 1.9 s; 2026-12-04)."""

    def __init__(self, passages: Sequence[str], k1: float = 1.2, b: float = 0.75):
        import bm25s

        self.index = bm25s.BM25(k1=k1, b=b, method="lucene", dtype="float64")
        self.index.index([words(p) for p in passages], show_progress=False)
        self.count = len(passages)

    def scores(self, question: str) -> list[float]:
        terms = sorted(set(words(question)))  # each word once: BM25 sums over the question's words
        return self.index.get_scores(terms).tolist() if terms else [0.0] * self.count

    def __call__(self, questions: Sequence[str], own: Sequence[int]) -> list[int]:
        # A question sharing no word with any passage ties everywhere; rank it last, not first.
        ranks = []
        for q, i in zip(questions, own):
            s = self.scores(q)
            ranks.append(rank_of(s, i) if s[i] > 0 else len(s))
        return ranks


_NAME = re.compile(r"(?<![.!?\u201c\"\u2014\n] )(?<!^)\b[A-Z][a-z]+(?:['\u2019][a-z]+)?")
_SURFACE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def key_terms(passages: Sequence[str], k: int = KEY_TERMS) -> list[list[str]]:
    """For each passage, the `k` words that most set it apart from the rest of the book (tf-idf over
    the book's passages; everyday words left out; a name, capitalised inside a sentence, counts
    double), as the passage writes them. A question that names one of them points to its passage."""
    docs = [Counter(words(p)) for p in passages]
    df = Counter(w for d in docs for w in d)
    n = len(docs)
    out = []
    for text, doc in zip(passages, docs):
        surface: dict[str, str] = {}
        for m in _SURFACE.finditer(text):
            surface.setdefault(m.group().casefold().replace("\u2019", "'"), m.group())
        names = {m.group().casefold().replace("\u2019", "'") for m in _NAME.finditer(text)}
        # Rare in the book and not an everyday word; failing that, the passage's least common words
        # (a prompt that names "a, b and c" must have something to name).
        for rare, skip in ((max(1, n // 10), COMMON), (n, COMMON), (n, STOPWORDS)):
            scored = sorted(
                ((tf * math.log(1 + n / df[w]) * (2 if w in names else 1), w) for w, tf in doc.items()
                 if len(w) > 3 and not w.isdigit() and w not in skip and df[w] <= rare),
                key=lambda x: (-x[0], x[1]),
            )
            if scored:
                break
        out.append([surface.get(w, w) for _, w in scored[:k]])
    return out


@dataclass(frozen=True)
class Retrieval:
    """recall@1 and MRR of a set of specificities (1 / rank). The one definition of both, which
    `synth stats`, the manifest and bench/question_specificity.py all use: over every record, one
    without a score (no question, a failed one, an edited question, made without the ranker)
    counting 0, and `unscored` saying how many those were."""

    count: int
    recall_at_1: float
    mrr: float
    unscored: int = 0

    @classmethod
    def of(cls, specificities: Sequence[float | None]) -> Retrieval:
        n = len(specificities)
        if not n:
            return cls(0, 0.0, 0.0)
        scores = [s or 0.0 for s in specificities]
        return cls(n, sum(1 for s in scores if s >= 1.0) / n, sum(scores) / n, sum(1 for s in specificities if s is None))


def measure(ranker: Ranker, questions: Sequence[str], own: Sequence[int]) -> Retrieval:
    """Retrieval quality of questions (own[j]: the index of question j's passage); an empty question has no score."""
    asked = [j for j, q in enumerate(questions) if q.strip()]
    ranks = ranker([questions[j] for j in asked], [own[j] for j in asked])
    values: list[float | None] = [None] * len(questions)
    for j, r in zip(asked, ranks):
        values[j] = 1.0 / r
    return Retrieval.of(values)
