"""Typed records that flow between stages, and the only code that reads or writes their files.

    Path ─extract─▶ Document ─paragraphs─▶ [Paragraph] ─segment─▶ [Passage] ─generate─▶ [Record] ─▶ interview.jsonl
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, as a reader counts pages
    text: str


@dataclass(frozen=True)
class Document:
    path: Path
    pages: tuple[Page, ...]


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


@dataclass(frozen=True)
class Record:
    """One reviewable interview pair. Field order is the order a person reads the JSONL in."""

    id: str
    question: str
    answer: str
    source: dict
    status: str = "pending"  # the review: pending, accepted, rejected, or edited (question or answer changed)
    context_id: str | None = None  # the passage shown to the model as context
    chapter: str | None = None
    model: str | None = None
    prompt: str | None = None
    flags: list[str] = field(default_factory=list)
    question_source: str = "generated"  # or "transcript": the interviewer's real question
    key: str | None = None  # hash of the generation settings (prompt text, model, sampling): resume reuses a match
    original: dict | None = None  # {"question", "answer"} as generated, once a reviewer changed either
    conversation: str | None = None  # interviews: the id shared by every turn of one conversation; None: a conversation of one
    position: int = 1  # 1-based place of this turn in its conversation
    specificity: float | None = None  # 1 / rank of its own passage among the book's passages for this question (1.0: points to it first)

    @classmethod
    def from_dict(cls, data: dict) -> Record:
        if not isinstance(data, dict):
            raise InvalidRecord(f"a record is a JSON object, not {type(data).__name__}")
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        if known.get("status", "pending") not in STATUSES:
            raise InvalidRecord(f"status {known['status']!r} is not one of {', '.join(STATUSES)}")
        return cls(**known)


STATUSES = ("pending", "accepted", "rejected", "edited")
REVIEWED = ("accepted", "rejected", "edited")  # a re-run of synth never touches these


class InvalidRecord(TypeError):
    """Valid JSON that is not a record (a TypeError, like a missing key, so every reader names its line)."""


class MalformedFile(ValueError):
    pass


def read_records(path: Path) -> list[Record]:
    """Every record, or MalformedFile naming the first bad line; reads only, never repairs."""
    with open(path, encoding="utf-8") as f:
        return parse_records(f, path)


def parse_records(lines: Iterable[str], path: Path) -> list[Record]:
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(Record.from_dict(json.loads(line)))
        except (json.JSONDecodeError, TypeError) as e:
            raise MalformedFile(f"{path}:{number}: not a valid record ({e}): {line.strip()[:120]}; fix or delete that line") from None
    return records


def record_line(record: Record) -> str:
    """The one serialization of a record: synth, the review page and hand edits all meet in it."""
    return json.dumps(asdict(record), ensure_ascii=False) + "\n"


def write_records(path: Path, records: Iterable[Record]) -> int:
    """Write all records atomically: a crash leaves either the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with open(tmp, "w", encoding="utf-8") as f:
        for record in records:
            f.write(record_line(record))
            count += 1
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return count


def conversations(records: Iterable[Record]) -> list[tuple[Record, ...]]:
    """Records grouped into interviews, in the order their first turn appears, each turn in position order.

    A record without `conversation` is an interview of one turn, so single-turn files group as before.
    """
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.conversation or f"\0{record.id}", []).append(record)
    return [tuple(sorted(turns, key=lambda r: r.position)) for turns in groups.values()]


def usable_turns(conversation: Sequence[Record]) -> tuple[Record, ...]:
    """The turns a trainer may use: those before the first rejected one (a follow-up presupposes what came before)."""
    kept = []
    for record in conversation:
        if record.status == "rejected":
            break
        kept.append(record)
    return tuple(kept)
