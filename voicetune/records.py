"""The record schema both stages share, and the only code that reads or writes JSONL (an
interview file as a whole, with its lock and the files beside it, is dataset.DatasetFile).

    [Passage] ─generate─▶ [Record] ─▶ interview.jsonl ─review─▶ interview.jsonl ─train─▶ ...
"""

from __future__ import annotations

import io
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Sequence

import jsonlines

from voicetune.files import MalformedFile, open_append, open_update, replaced


@dataclass(frozen=True)
class Record:
    """One reviewable interview pair. Field order is the order a person reads the JSONL in.

    Construction checks every field's type (`InvalidRecord` names the field), so a record that
    exists is one every stage can use: a null question or a `flags` string never gets past a load
    or a save. Keys the file holds that are not fields (a reviewer's `"note"`) live in `extra`
    and are written back after the fields, in their order: serialize with `to_dict()` or
    `record_line()`, never `dataclasses.asdict` (which would nest `extra`)."""

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
    alternatives: list[str] = field(default_factory=list)  # the model's next-best questions for this passage, best first: review takes one with a key
    question_source: str = "generated"  # or "transcript": the interviewer's real question
    key: str | None = None  # hash of the generation settings (prompt text, model, sampling): resume reuses a match
    original: dict | None = None  # {"question", "answer"} as generated, once a reviewer changed either
    conversation: str | None = None  # interviews: the id shared by every turn of one conversation; None: a conversation of one
    position: int = 1  # 1-based place of this turn in its conversation
    specificity: float | None = None  # 1 / rank of its own passage among the book's passages for this question (1.0: points to it first)
    extra: dict = field(default_factory=dict, repr=False)  # keys of the file that are not fields, kept in order (never a key itself)

    def __post_init__(self) -> None:
        _check_record(self)

    @classmethod
    def from_dict(cls, data: dict) -> Record:
        if not isinstance(data, dict):
            raise InvalidRecord(f"a record is a JSON object, not {_kind(data)}")
        missing = [name for name in ("id", "question", "answer", "source") if name not in data]
        if missing:
            raise InvalidRecord(f"missing {', '.join(map(repr, missing))}")
        known = {name: data[name] for name in FIELDS if name in data}
        return cls(**known, extra={k: v for k, v in data.items() if k not in FIELDS})

    def to_dict(self) -> dict:
        """The record as its JSON line holds it: fields in reading order, then the unknown keys."""
        data = {name: getattr(self, name) for name in FIELDS}
        return {**data, **{k: v for k, v in self.extra.items() if k not in data}}


FIELDS = tuple(name for name in Record.__dataclass_fields__ if name != "extra")
STATUSES = ("pending", "accepted", "rejected", "edited")
REVIEWED = ("accepted", "rejected", "edited")  # a re-run of synth never touches these


class InvalidRecord(TypeError):
    """Valid JSON that is not a record (a TypeError, like a missing key, so every reader names its line)."""


def _kind(value) -> str:
    return "null" if value is None else type(value).__name__


def _check_record(r: Record) -> None:
    def need(ok: bool, name: str, what: str) -> None:
        if not ok:
            raise InvalidRecord(f"{name} must be {what}, not {_kind(getattr(r, name))} {getattr(r, name)!r:.60}")

    def text_or_none(name: str) -> None:
        need(getattr(r, name) is None or isinstance(getattr(r, name), str), name, "a string or null")

    need(isinstance(r.id, str) and r.id != "", "id", "a non-empty string")
    need(isinstance(r.question, str), "question", "a string")
    need(isinstance(r.answer, str), "answer", "a string")
    need(isinstance(r.source, dict), "source", "an object")
    need(r.status in STATUSES, "status", f"one of {', '.join(STATUSES)}")
    for name in ("context_id", "chapter", "model", "prompt", "key", "conversation"):
        text_or_none(name)
    for name in ("flags", "alternatives"):
        need(isinstance(getattr(r, name), list) and all(isinstance(f, str) for f in getattr(r, name)), name, "a list of strings")
    need(isinstance(r.question_source, str), "question_source", "a string")
    need(r.original is None or isinstance(r.original, dict) and all(isinstance(r.original.get(k), str) for k in ("question", "answer")),
         "original", 'null or {"question": string, "answer": string}')
    need(type(r.position) is int and r.position >= 1, "position", "an integer from 1")
    need(r.specificity is None or isinstance(r.specificity, (int, float)) and not isinstance(r.specificity, bool) and 0 <= r.specificity <= 1, "specificity", "null or a number from 0 to 1")
    need(isinstance(r.extra, dict), "extra", "an object")


# JSONL: the only code that reads or writes it, through the jsonlines library. Lines are split at
# b"\n" only (never at U+2028, U+2029 or U+0085, which str.splitlines would cut a record at), and
# written with those three escaped, so any line-based tool reads the file the same way.
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def dumps(value) -> str:
    """One JSON value as one line: readable UTF-8, no character any reader splits a line at."""
    return json.dumps(value, ensure_ascii=False).translate(_LINE_BREAKS)


class _Numbered:
    """Lines of a binary file, counting them, so an error names the physical line."""

    def __init__(self, lines: Iterable[bytes]):
        self.lines, self.number, self.line = lines, 0, b""

    def __iter__(self) -> Iterator[bytes]:
        for line in self.lines:
            self.number += 1
            self.line = line
            yield line


def iter_jsonl(data: bytes | BinaryIO, path: Path) -> Iterator[tuple[int, object]]:
    """(line number, value) for every non-blank line; MalformedFile names the first bad one."""
    for number, value, _ in _iter_lines(data, path):
        yield number, value


def _iter_lines(data: bytes | BinaryIO, path: Path) -> Iterator[tuple[int, object, bytes]]:
    """(line number, value, the line's bytes) for every non-blank line."""
    lines = _Numbered(io.BytesIO(data) if isinstance(data, bytes) else data)
    with jsonlines.Reader(lines) as reader:
        while True:
            try:
                value = reader.read(skip_empty=True, allow_none=True)
            except EOFError:
                return
            except jsonlines.InvalidLineError as e:
                reason = "not UTF-8 text" if "utf-8" in str(e) else "not valid JSON"
                shown = e.line.decode("utf-8", "replace") if isinstance(e.line, bytes) else e.line
                raise MalformedFile(f"{path}:{e.lineno}: {reason}: {shown.strip()[:120]}; fix or delete that line") from None
            yield lines.number, value, lines.line


def whole_lines(data: bytes) -> bytes:
    """`data` without an interrupted last line: bytes after the last newline that do not parse
    (a kill cut the write short; UnicodeDecodeError is a ValueError too). A last line that is whole
    JSON only lacks its newline (as editors save) and is kept."""
    keep = data.rfind(b"\n") + 1
    try:
        if keep < len(data):
            json.loads(data[keep:])
    except ValueError:
        return data[:keep]
    return data


def drop_torn_tail(path: Path) -> int:
    """Repair `path` in place for appending: an interrupted last line truncated, a whole one given
    its newline. Returns how many bytes were dropped."""
    if not path.exists():
        return 0
    with open_update(path) as f:
        data = f.read()
        kept = whole_lines(data)
        if len(kept) < len(data):
            f.truncate(len(kept))
        elif data and not data.endswith(b"\n"):
            f.write(b"\n")
        return len(data) - len(kept)


def read_jsonl(path: Path) -> list:
    """Every value of a JSONL file, in order; MalformedFile names a line that is not UTF-8 JSON."""
    with open(path, "rb") as f:
        return [value for _, value in iter_jsonl(f, path)]


def write_jsonl(path: Path, values: Iterable) -> int:
    """Write all values atomically (see `replace_atomically`); returns how many."""
    with replace_atomically(path) as f:
        return _write_all(f, values)


def append_jsonl(path: Path, values: Iterable) -> int:
    """Append values, each line flushed to the OS as it is written (a kill loses none)."""
    with JsonlAppender(path) as appender:
        return appender.add(values)


class JsonlAppender:
    """An open JSONL file that every `add` appends to and flushes at once (a sidecar like the rejects)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open_append(path)
        self.writer = jsonlines.Writer(self.file, dumps=dumps, flush=True)

    def add(self, values: Iterable) -> int:
        return _write_all(self.writer, values)

    def __call__(self, value) -> None:
        self.add([value])

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc) -> None:
        self.writer.close()
        self.file.close()


def _write_all(writer, values: Iterable) -> int:
    count = 0
    for value in values:
        writer.write(value)
        count += 1
    return count


@contextmanager
def replace_atomically(path: Path) -> Iterator[jsonlines.Writer]:
    """A writer whose lines replace `path` at once when the block ends (files.replaced: a crash
    leaves the old file or the new one; never through a link)."""
    with replaced(path) as f:
        with jsonlines.Writer(f, dumps=dumps) as writer:
            yield writer


def read_records(path: Path, *, resume: bool = False) -> list[Record]:
    """Every record, or MalformedFile naming the first bad line; reads only, never repairs.
    `resume` (synth's own reader): see `parse_records`."""
    with open(path, "rb") as f:
        return parse_records(f, path, resume=resume)


def parse_records(data: bytes | BinaryIO, path: Path, *, resume: bool = False) -> list[Record]:
    """Records of a file's bytes; MalformedFile names the first line that is not UTF-8 JSON or not
    a valid record, and a second record with an id seen before (both lines). With `resume`, see
    `parse_lines`."""
    return [record for record, _ in parse_lines(data, path, resume=resume)]


def parse_lines(data: bytes | BinaryIO, path: Path, *, resume: bool = False, keep_reviewed: bool = False) -> list[tuple[Record, bytes]]:
    """Each record with the bytes of the line it was read from (a rewrite keeps them, see
    `write_records`). A repeated id is an error, except with `resume` (synth's own reader) where the
    bytes show a synth run wrote it: a run appends a record it regenerated (or moved) after the
    old one and removes the old one at its end, and a run killed in between leaves both. Then the
    later line replaces the earlier in its place, if both are pending (a reviewed record is never
    regenerated) and the later is in synth's own serialization (`record_line`): anything else was
    written by hand or by another tool, and is refused rather than guessed at. `keep_reviewed`
    (synth's final rewrite): a pending line after a reviewed one is dropped, not refused (the
    review page saved the record while the run regenerated it: the reviewer's word wins)."""
    kept: list[tuple[Record, bytes]] = []
    lines: dict[str, int] = {}  # id -> the line its kept version was read from
    places: dict[str, int] = {}  # id -> its index in kept
    for number, value, raw in _iter_lines(data, path):
        try:
            record = Record.from_dict(value)
        except TypeError as e:
            raise MalformedFile(f"{path}:{number}: not a valid record ({e}): {dumps(value)[:120]}; fix or delete that line") from None
        if record.id not in lines:
            lines[record.id], places[record.id] = number, len(kept)
            kept.append((record, raw))
            continue
        held = kept[places[record.id]][0]
        synths = record.status == "pending" and raw.rstrip(b"\n") == record_line(record).encode().rstrip(b"\n")
        if resume and synths and held.status == "pending":
            lines[record.id], kept[places[record.id]] = number, (record, raw)
        elif keep_reviewed and synths:
            continue
        elif resume:
            raise MalformedFile(
                f"{path}:{number}: id {record.id!r} is already used on line {lines[record.id]} ({held.status}), and line {number} is not a "
                "regenerated pending record as synth writes one; delete the line you do not want to keep, then run again"
            )
        else:
            raise MalformedFile(
                f"{path}:{number}: id {record.id!r} is already used on line {lines[record.id]}; an id must be unique: "
                "a synth run writing this file replaces the older one when it ends (wait for it, or run it again if it was stopped); otherwise delete or change one of them"
            )
    return kept


def record_line(record: Record) -> str:
    """The one serialization of a record: synth, the review page and hand edits all meet in it."""
    return dumps(record.to_dict()) + "\n"


def unique(records: Iterable[Record]) -> Iterator[Record]:
    """The records, as they come; ValueError at the second record with an id seen before."""
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            raise ValueError(f"two records have the id {record.id!r}; an id must be unique")
        seen.add(record.id)
        yield record


def write_records(path: Path, records: Iterable[Record], unchanged: Iterable[tuple[Record, bytes]] = ()) -> int:
    """Write all records atomically (a crash leaves the old file or the new one); refuses two
    records with one id, leaving the file as it was. A record equal to one of `unchanged` (as
    `parse_lines` read it) is written as the bytes it was read from, so a line nobody changed
    stays byte for byte, in whatever JSON spelling it had. An interview file is rewritten through
    dataset.DatasetFile, which holds its lock against a running appender."""
    raw = {record.id: (record, line) for record, line in unchanged}
    count = 0
    with replaced(path) as f:
        for record in unique(records):
            old, line = raw.get(record.id, (None, b""))
            f.write(line.decode("utf-8").rstrip("\n") + "\n" if old == record else record_line(record))
            count += 1
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
