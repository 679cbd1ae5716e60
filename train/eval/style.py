"""Style apart from content: how close an answer's writing habits are to the author's.

Topic words are masked before anything is counted (text distortion, Stamatatos 2013, "On the
robustness of authorship attribution based on character n-gram features"): every word outside a
fixed list of English function words becomes one `*`, digits become `#`, and what is left is the
author's function words, their order, punctuation and sentence habits. "Holmes
examined the letter." and "Watson opened the door." distort to the same string, so the score can
not rise by talking about the right things, only by writing the way the author writes.

Two scores, both in character 3-5-gram TF-IDF space of distorted text (sublinear tf):
- `authorship`: a ridge classifier trained to tell the author's training passages (1) from the base
  model's answers (0), cross-fitted over the held-out records (each record's texts are scored by a
  model that never saw its base answer): about 1 = writes like the author, 0 = like the base model.
  The main style metric.
- `score`: mean cosine to the K nearest training passages, with no base answers needed (weaker: on
  the Sherlock Holmes book it overlaps between the author's held-out passages and assistant prose).
Pure numpy. scikit-learn's TfidfVectorizer, Ridge and roc_auc_score gave the same scores (to 1e-13) and
AUC on the Sherlock Holmes book, no faster, but with scikit-learn installed transformers imports it on
every model load: +1 s CPU for each synth, train and eval process (2026-12-04).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

NGRAMS = (3, 4, 5)
K = 5

# The words distortion keeps: function words as style features. Not voicetune.words.STOPWORDS (which
# only sets content words apart) on purpose: every authorship figure was measured with this set.
STYLE_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me might more most must my myself no nor not now of off on once only
or other our ours ourselves out over own same shall she should so some such than that the their theirs them themselves
then there these they this those through to too under until up upon very was we were what when where which while who
whom whose why will with would you your yours yourself yourselves yet though whether ever never also indeed
one oh well yes
""".split())
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def distort(text: str) -> str:
    """Function words kept (lower-cased), every other word masked as one *, digits as #."""
    def mask(match: re.Match) -> str:
        word = match.group(0)
        return word.lower() if word.lower() in STYLE_WORDS else "*"

    return re.sub(r"\d", "#", WORD.sub(mask, " ".join(text.split())))


def ngrams(text: str) -> Counter:
    padded = f" {distort(text)} "
    return Counter(padded[i : i + n] for n in NGRAMS for i in range(len(padded) - n + 1))


@dataclass(frozen=True)
class Reference:
    """The author's style: TF-IDF rows of the training passages, unit length."""

    vocabulary: dict[str, int]
    idf: "object"  # numpy vector, one weight per vocabulary n-gram
    unseen_idf: float  # weight of an n-gram no training passage has
    rows: "object"  # numpy matrix, passages x vocabulary

    def vector(self, text: str):
        """A text's unit TF-IDF vector on the vocabulary. Its norm counts every n-gram, those the author
        never wrote too, so a text full of foreign habits scores low rather than being judged on its few
        familiar pieces."""
        import numpy as np

        vector = np.zeros(len(self.vocabulary))
        unseen = 0.0
        for gram, count in ngrams(text).items():
            weight = 1 + math.log(count)
            index = self.vocabulary.get(gram)
            if index is None:
                unseen += (weight * self.unseen_idf) ** 2
            else:
                vector[index] = weight * self.idf[index]
        norm = math.sqrt(float(vector @ vector) + unseen)
        return vector / norm if norm else vector


def reference(passages: Sequence[str]) -> Reference:
    import numpy as np

    if len(passages) < K:
        raise ValueError(f"the style reference needs at least {K} of the author's passages, got {len(passages)}")
    counts = [ngrams(p) for p in passages]
    document_frequency = Counter(gram for c in counts for gram in c)
    vocabulary = {gram: i for i, gram in enumerate(sorted(document_frequency))}
    n = len(passages)
    idf = np.array([math.log((1 + n) / (1 + document_frequency[g])) + 1 for g in vocabulary])
    unseen_idf = math.log(1 + n) + 1
    partial = Reference(vocabulary, idf, unseen_idf, None)
    rows = np.stack([partial.vector(p) for p in passages])
    return Reference(vocabulary, idf, unseen_idf, rows)


def score(ref: Reference, texts: Sequence[str], k: int = K, exclude: Sequence[int | None] | None = None) -> list[float]:
    """Each text's mean cosine to its k nearest training passages (0..1; the author's own style scores high).
    exclude[i], when given, is a reference row text i must not be compared with (itself)."""
    import numpy as np

    scores = []
    for i, text in enumerate(texts):
        if not text.strip():
            scores.append(0.0)
            continue
        similarity = ref.rows @ ref.vector(text)
        if exclude is not None and exclude[i] is not None:
            similarity[exclude[i]] = -1.0
        scores.append(float(np.sort(similarity)[-k:].mean()))
    return scores


def auc(high: Sequence[float], low: Sequence[float]) -> float:
    """Probability that a value drawn from `high` exceeds one from `low` (ties count half): 1.0
    separates perfectly, 0.5 not at all (the Mann-Whitney statistic, scaled)."""
    if not high or not low:
        raise ValueError("auc needs values on both sides")
    wins = sum((h > l) + 0.5 * (h == l) for h in high for l in low)
    return wins / (len(high) * len(low))


FOLDS = 5
RIDGE = 1.0  # regularisation of the classifier (rows are unit length)


def _matrix(texts: Sequence[str], vocabulary: dict[str, int], idf):
    import numpy as np

    rows = np.zeros((len(texts), len(vocabulary)))
    for i, text in enumerate(texts):
        for gram, count in ngrams(text).items():
            j = vocabulary.get(gram)
            if j is not None:
                rows[i, j] = (1 + math.log(count)) * idf[j]
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1, norms)


def fit_classifier(author: Sequence[str], other: Sequence[str], ridge: float = RIDGE):
    """A ridge classifier on distorted n-grams: the least-squares fit of 1 (author) and 0 (other),
    each class weighted equally, solved exactly in its dual (texts x texts, small), so deterministic.
    Returns predict(texts) -> score per text, about 1 for the author's style and 0 for the other's."""
    import numpy as np

    if len(author) < 2 or len(other) < 2:
        raise ValueError(f"the style classifier needs at least 2 texts per side, got {len(author)} and {len(other)}")
    texts = list(author) + list(other)
    y = np.array([1.0] * len(author) + [0.0] * len(other))
    frequency = Counter(g for t in texts for g in ngrams(t))
    vocabulary = {g: i for i, g in enumerate(sorted(g for g, df in frequency.items() if df >= 2))}
    idf = np.array([math.log((1 + len(texts)) / (1 + frequency[g])) + 1 for g in vocabulary])
    x = _matrix(texts, vocabulary, idf)
    weight = np.where(y == 1, len(texts) / (2 * len(author)), len(texts) / (2 * len(other)))
    kernel = x @ x.T + 1.0  # + 1: the intercept
    alpha = np.linalg.solve(kernel + ridge * np.diag(1 / weight), y)

    def predict(new: Sequence[str]) -> list[float]:
        values = (_matrix(new, vocabulary, idf) @ x.T + 1.0) @ alpha
        return [0.0 if not t.strip() else float(v) for t, v in zip(new, values)]

    return predict


@dataclass(frozen=True)
class Authorship:
    passage: list[float]  # authorship score of each held-out record's true passage: should be high
    base: list[float]  # of the base model's answer: should be low
    tuned: list[float]  # of the tuned model's answer: the measurement

    @property
    def check_auc(self) -> float:
        """How well the score tells the author's held-out passages from the base answers (1 = perfectly)."""
        return auc(self.passage, self.base)


def authorship(train_passages: Sequence[str], passages: Sequence[str], base: Sequence[str], tuned: Sequence[str], folds: int = FOLDS) -> Authorship:
    """The authorship score of every held-out true passage, base answer and tuned answer, cross-fitted: the
    records are cut into `folds` groups, and each group is scored by a classifier trained on the
    author's training passages against the base answers of the other groups."""
    n = len(passages)
    if not len(base) == len(tuned) == n or n < 2:
        raise ValueError(f"authorship needs as many base and tuned answers as passages (>= 2), got {n}, {len(base)}, {len(tuned)}")
    folds = min(folds, n)
    out = {"passage": [0.0] * n, "base": [0.0] * n, "tuned": [0.0] * n}
    for f in range(folds):
        inside = [i for i in range(n) if i % folds == f]
        negatives = [base[i] for i in range(n) if i % folds != f and base[i].strip()]
        predict = fit_classifier(train_passages, negatives)
        for name, texts in (("passage", passages), ("base", base), ("tuned", tuned)):
            for i, p in zip(inside, predict([texts[i] for i in inside])):
                out[name][i] = p
    return Authorship(out["passage"], out["base"], out["tuned"])
