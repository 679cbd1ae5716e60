"""Paragraphs -> passages by length rules. Pure functions, no I/O.

A passage is one interview answer: long enough to say something (paragraphs under
`min_chars` are merged with the next one), short enough to be one answer (passages over
`max_chars` are split), and always ending at a sentence end.
"""

from __future__ import annotations

import math
import re
import statistics
import warnings
from collections import Counter

from voicetune.errors import InputWarning
from synth.document import Paragraph, Passage, passage_id

MIN_CHARS = 300
MAX_CHARS = 2000

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "vs", "etc", "no", "e.g", "i.e", "mt", "capt", "col", "gen", "lt", "rev"}
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace.
_SENTENCE_END = re.compile(r"""(?<=[.!?])["'\u201d\u2019)\]]*(?=\s+)""")


def sentence_ends(text: str) -> list[int]:
    """Offsets just past each sentence end in text (the last one is always len(text))."""
    ends = []
    for match in _SENTENCE_END.finditer(text):
        last_word = _word_before(text, match.end()).rstrip(".!?\"')]\u201d\u2019")
        if last_word.lower() in _ABBREVIATIONS or re.fullmatch(r"[A-Z]", last_word):
            continue  # "Dr. Smith", "J. R. Tolkien": not a sentence end
        ends.append(match.end())
    if not ends or text[ends[-1] :].strip():
        ends.append(len(text))
    return ends


def _word_before(text: str, end: int) -> str:
    """The whitespace-separated word that ends at `end`. Walks back over that word alone:
    slicing the whole text before it made a long line quadratic (a sentence end is followed by
    whitespace, so no character is walked over twice)."""
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end]


def split_sentences(text: str) -> list[str]:
    starts = [0, *sentence_ends(text)[:-1]]
    return [text[a:b].strip() for a, b in zip(starts, sentence_ends(text)) if text[a:b].strip()]


def split_long(text: str, max_chars: int) -> list[str]:
    return [text[a:b] for a, b in split_spans(text, max_chars)]


def split_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Cut text over max_chars into nearly equal chunks that end at sentence ends: (start, end)
    offsets into text, surrounding whitespace excluded.

    Equal chunks avoid a tiny leftover tail. Only a single sentence longer than max_chars is cut
    inside, at a clause or word boundary: an answer that stops mid-thought is the lesser evil
    next to one the model cannot take in. Whitespace inside a chunk is kept as it was.
    """
    if len(text.strip()) <= max_chars:
        return [_strip(text, 0, len(text))] if text.strip() else []
    spans, start, previous_end = [], 0, 0
    target = _target(len(text), max_chars)
    for end in sentence_ends(text):
        stripped = _strip(text, start, end)  # not a slice: a copy per sentence end adds up on a long line
        too_long = stripped[1] - stripped[0] > max_chars
        # cut at the sentence end nearest the target length
        if previous_end > start and (too_long or (end - start) - target > target - (previous_end - start)):
            spans.append(_strip(text, start, previous_end))
            start, target = previous_end, _target(len(text) - previous_end, max_chars)
        previous_end = end
    spans.append(_strip(text, start, len(text)))
    return [piece for a, b in spans if b > a for piece in _cut_sentence(text, a, b, max_chars)]


def _target(length: int, max_chars: int) -> float:
    """The chunk length that cuts what is left into the fewest near-equal chunks."""
    return length / math.ceil(length / max_chars)


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _cut_sentence(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """(start, end) itself if it fits, else near-equal pieces, each cut after the last clause
    mark (; : , dash) in the second half of its window, or failing that at the last space."""
    pieces = []
    limit = min(max_chars, math.ceil(1.05 * (end - start) / math.ceil((end - start) / max_chars)))  # near-equal pieces
    while end - start > max_chars:
        window = text[start : start + limit]
        cut = max(window.rfind(mark, limit // 2) for mark in ("; ", ": ", ", ", "\u2014"))
        cut = cut + 1 if cut > 0 else window.rfind(" ", limit // 2)
        cut = cut if cut > 0 else limit  # one unbroken word longer than half the window
        pieces.append(_strip(text, start, start + cut))
        start = _strip(text, start + cut, end)[0]
    return pieces + [(start, end)]


def _join(a: Paragraph, b: Paragraph) -> Paragraph:
    # adjacent paragraphs, so the joined text is still repaired_text[a.start:b.end]
    return Paragraph(f"{a.text}\n\n{b.text}", a.first_page, b.last_page, a.chapter, a.start, b.end)


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


def drop_indexes(paragraphs: list[Paragraph], source: str) -> list[Paragraph]:
    """Leave out merged pieces that are mostly page numbers (an index's entries are short
    paragraphs of a few numbers each, which only read as an index once merged), and the pieces
    of a chapter called Index. Said in a warning."""
    from synth.repair.clean import is_prose

    def is_index(p: Paragraph) -> bool:
        return not is_prose(p.text) or bool(p.chapter and re.fullmatch(r"(?:general |subject |name )?index", p.chapter.strip(), re.IGNORECASE))

    dropped = [p for p in paragraphs if is_index(p)]
    if dropped:
        warnings.warn(
            f"{source}: left out {len(dropped)} piece{'s' if len(dropped) > 1 else ''} that read as an index or a contents list "
            f"({sum(len(p.text) for p in dropped):,} characters from p.{dropped[0].first_page}, e.g. {' '.join(dropped[0].text.split())[:60]!r})",
            InputWarning,
            stacklevel=3,
        )
    return [p for p in paragraphs if not is_index(p)]


def drop_short(paragraphs: list[Paragraph], source: str, min_chars: int) -> list[Paragraph]:
    """Leave out what is still under min_chars after merging: a chapter too short to give one
    answer (a title page, a caption, a list item under its own heading). Said in a warning."""
    kept = [p for p in paragraphs if len(p.text) >= min_chars]
    dropped = [p for p in paragraphs if len(p.text) < min_chars]
    if dropped:
        example = " ".join(dropped[0].text.split())[:60]
        warnings.warn(
            f"{source}: left out {len(dropped)} piece{'s' if len(dropped) > 1 else ''} under --min-chars {min_chars} that stand alone in their chapter "
            f"({sum(len(p.text) for p in dropped):,} characters, e.g. {example!r} on p.{dropped[0].first_page}); lower --min-chars to keep them",
            InputWarning,
            stacklevel=3,
        )
    return kept


def segment(paragraphs: list[Paragraph], source: str, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS) -> list[Passage]:
    if min_chars > max_chars:
        raise ValueError(f"min_chars ({min_chars}) must not exceed max_chars ({max_chars})")
    passages, ids = [], UniqueIds(source)
    for paragraph in drop_short(drop_indexes(merge_short(paragraphs, min_chars), source), source, min_chars):
        for a, b in split_spans(paragraph.text, max_chars):
            chunk = paragraph.text[a:b]
            where = dict(chapter=paragraph.chapter, start=paragraph.start + a, end=paragraph.start + b)
            passages.append(Passage(ids(chunk), chunk, source, paragraph.first_page, paragraph.last_page, **where))
    return passages


class UniqueIds:
    """passage_id, made unique when a text repeats ("Yes." twice): the second gets its own id,
    still stable across runs."""

    def __init__(self, source: str):
        self.source, self.seen = source, Counter()

    def __call__(self, text: str) -> str:
        self.seen[text] += 1
        n = self.seen[text]
        return passage_id(self.source, text if n == 1 else f"{text}\n#{n}")


def report(passages: list[Passage], min_chars: int, max_chars: int, show: int = 3) -> str:
    """What a user needs to tune --min-chars/--max-chars before spending GPU time."""
    lengths = [len(p.text) for p in passages]
    asked = sum(1 for p in passages if p.question)
    shortest, longest = min(passages, key=lambda p: len(p.text)), max(passages, key=lambda p: len(p.text))
    sources = list(dict.fromkeys(p.source for p in passages))
    named = sources[0] if len(sources) == 1 else f"{len(sources)} sources ({', '.join(sources[:3])}{', ...' if len(sources) > 3 else ''})"
    lines = [
        f"{named}: {len(passages)} passage{'s' if len(passages) > 1 else ''}, {sum(lengths):,} characters"
        + (f"; {asked} with the interviewer's own question, {len(passages) - asked} to generate" if asked else ""),
        f"length (min {min_chars}, max {max_chars}): shortest {len(shortest.text)} ({_where(shortest)}), "
        f"median {int(statistics.median(lengths))}, longest {len(longest.text)} ({_where(longest)})",
        *histogram(lengths, max_chars),
    ]
    for p in passages[:show]:
        question = f"\n  Q (transcript): {_preview(p.question)}" if p.question else ""
        lines.append(f"\n[{p.id} {_where(p)} chars {p.start}-{p.end}]{question}\n  {_preview(p.text)}")
    return "\n".join(lines)


def histogram(lengths: list[int], max_chars: int, bar: int = 40) -> list[str]:
    """Text histogram in eight equal buckets up to max_chars, and one for anything longer."""
    step = max(1, math.ceil(max_chars / 8))
    counts = Counter(min(length // step, 8) for length in lengths)
    peak = max(counts.values())
    rows = []
    for bucket in range(9):
        label = f"{bucket * step:>6}-{(bucket + 1) * step - 1:<6}" if bucket < 8 else f"{'> ' + str(max_chars):>13}"
        n = counts.get(bucket, 0)
        rows.append(f"  {label} {'#' * math.ceil(bar * n / peak):<{bar}} {n}")
    return rows


def _where(p: Passage) -> str:
    return f"turns {p.turns}" if p.turns else f"p.{p.pages}"


def _preview(text: str, chars: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[:chars] + "..."
