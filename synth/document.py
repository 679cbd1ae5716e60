"""The extraction types every room of synth shares: what a source file becomes on its way to passages.

    Path ─extract─▶ Document ─paragraphs─▶ [Paragraph] ─segment─▶ [Passage] ─generate─▶ [Record] (voicetune.records)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, as a reader counts pages
    text: str
    runs: tuple[tuple, ...] = ()  # PDFs: where each piece of the text sits (pdfruns.py); layout.py reads them


@dataclass(frozen=True)
class Removed:
    """Text taken out of a book because it is not the author's (a caption, a note), kept to be reported."""

    kind: str
    page: int
    text: str


@dataclass(frozen=True)
class Document:
    path: Path
    pages: tuple[Page, ...]
    # EPUB, DOCX, HTML: pages are the file's own parts (spine files), their paragraphs and headings
    # marked by the markup: a page's end ends a paragraph, and there are no running heads to strip
    marked: bool = False
    removed: tuple[Removed, ...] = ()  # what the markup says is not the author's (contents, captions, licence)


@dataclass(frozen=True)
class Paragraph:
    text: str
    first_page: int
    last_page: int
    chapter: str | None = None
    start: int = 0  # offsets into the repaired text: clean.repaired_text(paragraphs)[start:end] == text
    end: int = 0


@dataclass(frozen=True)
class Turn:
    """One speaker's turn in a transcript, with stage notes and timestamps removed."""

    number: int  # 1-based, in the order the transcript gives them
    speaker: str
    text: str
    time: str | None = None  # "00:01:20": when the turn starts, if the transcript says


@dataclass(frozen=True)
class Transcript:
    path: Path
    turns: tuple[Turn, ...]
    guests: tuple[str, ...] = ()  # whom the file's own metadata (front matter `guest:`) names as its guest


@dataclass(frozen=True)
class Passage:
    id: str
    text: str
    source: str  # file name
    first_page: int
    last_page: int
    chapter: str | None = None
    start: int = 0  # character offsets into the repaired text of the source
    end: int = 0
    question: str | None = None  # the interviewer's own words, when a transcript has them
    turns: str | None = None  # "12-14": transcript turns, instead of pages
    time: str | None = None  # "00:01:20": when the first of those turns starts

    @property
    def pages(self) -> str:
        if self.first_page == self.last_page:
            return str(self.first_page)
        return f"{self.first_page}-{self.last_page}"

    @property
    def provenance(self) -> dict:
        """Where the answer comes from, as the record's `source` shows it to a reviewer."""
        where = {"turns": self.turns, "time": self.time} if self.turns else {"pages": self.pages}
        return {"file": self.source, **{k: v for k, v in where.items() if v}, "chars": [self.start, self.end]}


def passage_id(source: str, text: str) -> str:
    """Stable across runs: the same text from the same file always gets the same id."""
    return hashlib.sha256(f"{source}\n{text}".encode()).hexdigest()[:16]
