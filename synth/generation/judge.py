"""One reply -> its question, or why it has none usable; and whether a question repeats an
earlier one of the book.

A reply's question is its first that passes every check: not too long, not about the interview
itself, not a copy of the passage it should lead into. Labels ("Question:", "**Q:**"), quotes and
reasoning blocks are taken off first.
"""

from __future__ import annotations

import re
from typing import Sequence

from synth.repair import segment
from voicetune.words import STOPWORDS, words

MAX_QUESTION_CHARS = 300
COPY_SHARE = 0.5  # a question sharing this much of its word trigrams with the passage gives it away
DUPLICATE_SHARE = 0.8  # word-set Jaccard at or above which two questions are the same question

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_LABEL = re.compile(r"^\s*(?:[-*>#\d.)\s]+)?\**\s*(?:question|q|interviewer|journalist)\s*\d*\s*\**\s*[:\-]\s*\**", re.IGNORECASE)
_QUOTES = "\"'\u201c\u201d\u2018\u2019`*"
# Questions about the interview itself rather than to the author ("What is the author's view of
# the passage?") are what small models produce when they lose the thread.
_META = re.compile(r"\b(interview(?:er|ers|s|ing|ed)?|journalists?|the author|author's|passage|the question|this question|the text)\b", re.IGNORECASE)


# An interviewer's request, which asks without a question mark: "Tell me about the boat."
_REQUEST = re.compile(r"^(?:tell\s+(?:me|us)|talk\s+(?:to\s+me\s+|us\s+)?about|describe|walk\s+(?:me|us)\s+through)\b", re.IGNORECASE)


def _questions(line: str) -> list[str]:
    """The questions of one line: its sentences (cut where segment cuts them, so "Mr. Jones" stays
    whole) that end in a question mark, up to that mark, and its whole requests ("Tell me about
    the boat.")."""
    found = []
    for sentence in segment.split_sentences(line):
        if "?" in sentence:
            found.append(sentence[: sentence.rfind("?") + 1])
        elif _REQUEST.match(sentence.strip().strip(_QUOTES)) and sentence.rstrip().endswith("."):
            found.append(sentence.strip())
    return found


def candidates(text: str) -> list[str]:
    """Every question in a reply, without labels, quotes or reasoning blocks, in order."""
    found = []
    for line in _THINK.sub("", text).splitlines():
        line = _LABEL.sub("", line).strip().strip(_QUOTES).strip()
        for sentence in _questions(line):
            # 'I would ask: "Why did you ...?' -> the quoted part is the question.
            question = re.split(r""":\s|["\u201c]""", sentence)[-1].strip().strip(_QUOTES).strip()
            if len(question) > 1:
                found.append(question[0].upper() + question[1:])
    return found


def _trigrams(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}


def problem(question: str, passage: str) -> str | None:
    """Why a question is unusable, or None."""
    if len(question) > MAX_QUESTION_CHARS:
        return "too_long"
    if _META.search(question):
        return "about_the_interview"
    grams = _trigrams(question)
    if len(grams) >= 3 and len(grams & _trigrams(passage)) / len(grams) >= COPY_SHARE:
        return "gives_answer_away"
    return None


def judge(reply: str, passage: str) -> tuple[str | None, str | None]:
    """(question, None) or (None, reason). Rule for replies with several questions: the first
    one that passes every check wins, since models put their intended question first and add
    alternatives or follow-ups after it."""
    found = candidates(reply)
    if not reply.strip():
        return None, "empty"
    if not found:
        return None, "not_a_question"
    problems = [problem(q, passage) for q in found]
    for question, reason in zip(found, problems):
        if reason is None:
            return question, None
    return None, problems[0]


def clean_question(text: str) -> str | None:
    """The question a reply asks, judged without a passage (no copy check)."""
    return judge(text, "")[0]


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def duplicates(question: str, earlier: Sequence[str], share: float = DUPLICATE_SHARE) -> list[str]:
    """The earlier questions that `question` repeats, most similar first: the same words, or the
    same content words (stopwords aside, when both have two or more: "What's your favorite memory?" /
    "What is your favorite memory?"), with a Jaccard overlap of at least `share`."""
    mine = set(words(question))
    content = mine - STOPWORDS
    scored = []
    for other in earlier:
        theirs = set(words(other))
        theirs_content = theirs - STOPWORDS
        same_content = _overlap(content, theirs_content) if min(len(content), len(theirs_content)) >= 2 else 0.0
        score = max(_overlap(mine, theirs), same_content)
        if score >= share:
            scored.append((score, other))
    return [q for _, q in sorted(scored, key=lambda x: -x[0])]
