"""The synth stage end to end: book -> passages -> records -> interview.jsonl."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synth import clean, extract, prompts, segment
from synth.engine import ChatFn, Sampling
from synth.generate import generate
from synth.records import Passage, Record, write_records  # noqa: F401  (re-exported for the CLI)


@dataclass(frozen=True)
class SegmentOptions:
    min_chars: int = segment.MIN_CHARS
    max_chars: int = segment.MAX_CHARS
    password: str | None = None
    limit: int | None = None  # only the first N passages (a quick look, or a test)


def passages(book: Path, options: SegmentOptions) -> list[Passage]:
    document = extract.extract(book, options.password)
    result = segment.segment(clean.paragraphs(document), book.name, options.min_chars, options.max_chars)
    if not result:
        raise extract.BadInput(f"{book}: no passages found in its text; check it is prose, or lower --min-chars")
    return result[: options.limit] if options.limit else result


def default_output(book: Path) -> Path:
    return Path("data") / book.stem / "interview.jsonl"


def synthesize(
    book: Path, out: Path, chat: ChatFn, *, model: str, prompt: str, options: SegmentOptions, sampling: Sampling
) -> list[Record]:
    records = generate(passages(book, options), chat, prompts.load(prompt), sampling, model=model, prompt=prompt)
    write_records(out, records)
    return records
