"""Paragraphs -> passages by length rules. Pure functions, no I/O.

A passage is one interview answer: long enough to say something (paragraphs under
`min_chars` are merged with the next one), short enough to be one answer (passages over
`max_chars` are split), and always ending at a sentence end.
"""

from __future__ import annotations

import math
import re

from synth.records import Paragraph, Passage, passage_id

MIN_CHARS = 300
MAX_CHARS = 2000

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "vs", "etc", "no", "e.g", "i.e", "mt", "capt", "col", "gen", "lt", "rev"}
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace.
_SENTENCE_END = re.compile(r"""(?<=[.!?])["'\u201d\u2019)\]]*(?=\s+)""")


def sentence_ends(text: str) -> list[int]:
    """Offsets just past each sentence end in text (the last one is always len(text))."""
    ends = []
    for match in _SENTENCE_END.finditer(text):
        words = text[: match.end()].rsplit(None, 1)
        last_word = words[-1].rstrip(".!?\"')]\u201d\u2019") if words else ""
        if last_word.lower() in _ABBREVIATIONS or re.fullmatch(r"[A-Z]", last_word):
            continue  # "Dr. Smith", "J. R. Tolkien": not a sentence end
        ends.append(match.end())
    if not ends or text[ends[-1] :].strip():
        ends.append(len(text))
    return ends


def split_sentences(text: str) -> list[str]:
    starts = [0, *sentence_ends(text)[:-1]]
    return [text[a:b].strip() for a, b in zip(starts, sentence_ends(text)) if text[a:b].strip()]


def split_long(text: str, max_chars: int) -> list[str]:
    """Split text over max_chars into nearly equal chunks that end at sentence ends.

    Equal chunks avoid a tiny leftover tail. A single sentence longer than max_chars stays whole:
    cutting inside a sentence would make an answer that stops mid-thought. Whitespace inside a
    chunk (paragraph breaks included) is kept as it was.
    """
    if len(text) <= max_chars:
        return [text]
    target = len(text) / math.ceil(len(text) / max_chars)
    chunks, start, previous_end = [], 0, 0
    for end in sentence_ends(text):
        too_long = len(text[start:end].strip()) > max_chars
        if previous_end > start and (too_long or len(text[start:previous_end].strip()) >= target):
            chunks.append(text[start:previous_end].strip())
            start = previous_end
        previous_end = end
    chunks.append(text[start:].strip())
    return [c for c in chunks if c]


def _join(a: Paragraph, b: Paragraph) -> Paragraph:
    return Paragraph(f"{a.text}\n\n{b.text}", a.first_page, b.last_page, a.chapter)


def merge_short(paragraphs: list[Paragraph], min_chars: int) -> list[Paragraph]:
    """Merge each paragraph under min_chars with the next one of the same chapter.

    A short paragraph that ends a chapter is merged with the one before it instead, so no
    passage straddles two chapters.
    """
    merged: list[Paragraph] = []
    pending: Paragraph | None = None
    for paragraph in paragraphs:
        if pending is not None and pending.chapter != paragraph.chapter:
            merged.append(pending)
            pending = None
        pending = paragraph if pending is None else _join(pending, paragraph)
        if len(pending.text) >= min_chars:
            merged.append(pending)
            pending = None
    if pending is not None:
        merged.append(pending)
    # Short leftovers at chapter ends: attach to the previous passage of the same chapter.
    result: list[Paragraph] = []
    for paragraph in merged:
        if result and len(paragraph.text) < min_chars and result[-1].chapter == paragraph.chapter:
            result[-1] = _join(result[-1], paragraph)
        else:
            result.append(paragraph)
    return result


def segment(paragraphs: list[Paragraph], source: str, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS) -> list[Passage]:
    if min_chars > max_chars:
        raise ValueError(f"min_chars ({min_chars}) must not exceed max_chars ({max_chars})")
    passages = []
    for paragraph in merge_short(paragraphs, min_chars):
        for chunk in split_long(paragraph.text, max_chars):
            passages.append(
                Passage(passage_id(source, chunk), chunk, source, paragraph.first_page, paragraph.last_page, paragraph.chapter)
            )
    return passages
