"""Output that survives a crash: each record is appended and flushed to the OS as it completes
(so a killed process loses none), fsynced in small batches (so does a power cut, mostly), and a
run that was killed mid-write is picked up where it stopped.

A kill can only tear the line being written (every line is written whole, then flushed): on
the next open, bytes after the last newline are dropped. A bad line anywhere else was made by
hand, and is an error naming it, so nothing is overwritten by guesswork.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Iterable

from synth.records import MalformedFile, Record


def drop_torn_tail(path: Path) -> int:
    """Truncate an interrupted last line; returns how many bytes were dropped."""
    if not path.exists():
        return 0
    with open(path, "rb+") as f:
        data = f.read()
        keep = data.rfind(b"\n") + 1
        if keep == len(data):
            return 0
        f.truncate(keep)
        return len(data) - keep


def load(path: Path) -> list[Record]:
    if not path.exists():
        return []
    drop_torn_tail(path)
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                try:
                    records.append(Record.from_dict(json.loads(line)))
                except (json.JSONDecodeError, TypeError) as e:
                    raise MalformedFile(f"{path}:{number}: not a valid record ({e}): {line.strip()[:120]}; fix or delete that line") from None
    return records


class Appender:
    """Appends records: flushed at once, fsynced every `every` records and on close."""

    def __init__(self, path: Path, every: int = 8):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "a", encoding="utf-8")
        self.every, self.pending = every, 0

    def add(self, records: Iterable[Record]) -> None:
        for record in records:
            self.file.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
            self.pending += 1
        self.file.flush()
        if self.pending >= self.every:
            self.sync()

    def sync(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.pending = 0

    def __enter__(self) -> Appender:
        return self

    def __exit__(self, *exc) -> None:
        self.sync()
        self.file.close()
