"""Output that survives a crash: each record is appended and flushed to the OS as it completes
(so a killed process loses none), fsynced in small batches (so does a power cut, mostly), and a
run that was killed mid-write is picked up where it stopped.

A kill can only tear the line being written (every line is written whole, then flushed): on
the next open, bytes after the last newline are dropped if they do not parse, and given their
newline if they do (an editor saved the file without a final newline: that line is a record).
A bad line anywhere else was made by hand, and is an error naming it, so nothing is overwritten
by guesswork.

The review page may replace the file while a run appends to it. Both hold the file's advisory
lock (records.locked) while they touch it, and the appender reopens the file when it finds it
replaced, so no record the run reported as written is left in a file nobody reads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from voicetune.records import Record, locked, read_records, record_line, write_records


def drop_torn_tail(path: Path) -> int:
    """Truncate an interrupted last line; returns how many bytes were dropped. A last line that
    is whole JSON only lacks its newline (as editors save): it gets one and is kept."""
    if not path.exists():
        return 0
    with open(path, "rb+") as f:
        data = f.read()
        keep = data.rfind(b"\n") + 1
        if keep == len(data):
            return 0
        try:
            json.loads(data[keep:])
        except ValueError:  # a write cut short (UnicodeDecodeError is a ValueError too)
            f.truncate(keep)
            return len(data) - keep
        f.write(b"\n")
        return 0


def load(path: Path) -> list[Record]:
    if not path.exists():
        return []
    with locked(path):
        drop_torn_tail(path)
    return read_records(path, resume=True)


def rewrite(path: Path, merge) -> list[Record]:
    """Replace `path` with merge(records now on disk), holding the lock from the read to the
    rename, so neither an append nor a review save lands in between and is lost."""
    with locked(path):
        records = merge(read_records(path, resume=True) if path.exists() else [])
        write_records(path, records)
    return records


class Appender:
    """Appends records: flushed at once, fsynced every `every` records and on close. Each write
    holds the file's lock and first reopens the file if a rewrite replaced it since."""

    def __init__(self, path: Path, every: int = 8):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.file = open(path, "a", encoding="utf-8")
        self.every, self.pending = every, 0

    def add(self, records: Iterable[Record]) -> None:
        lines = [record_line(r) for r in records]
        with locked(self.path):
            self._follow_replacement()
            self.file.writelines(lines)
            self.file.flush()
            self.pending += len(lines)
            if self.pending >= self.every:
                self.sync()

    def _follow_replacement(self) -> None:
        try:
            same = os.path.samestat(os.fstat(self.file.fileno()), os.stat(self.path))
        except FileNotFoundError:
            same = False
        if not same:
            self.sync()
            self.file.close()
            self.file = open(self.path, "a", encoding="utf-8")

    def sync(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.pending = 0

    def __enter__(self) -> Appender:
        return self

    def __exit__(self, *exc) -> None:
        self.sync()
        self.file.close()


def latest_output(root: Path = Path("data")) -> Path | None:
    """The most recently written interview.jsonl under data/ (what `make synth` wrote last)."""
    candidates = sorted(root.glob("*/interview.jsonl"), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None
