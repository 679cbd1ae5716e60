"""The dataset file: one interview.jsonl, the only object that reads, appends to, rewrites and
locks it, and that names the files beside it.

    synth run ─append─▶ interview.jsonl ◀─rewrite─ synth run's end, review page's save
                        │ interview.jsonl.lock     (both processes take it to change the file)
                        │ interview.rejects.jsonl  (rejected replies, appended as they come)
                        │ interview.manifest.json  (what produced the file)
                        │ interview.sources.json   (which files it was made from)
                        ▼
                        review, stats, export, train: read

Output that survives a crash: each record is appended and flushed to the OS as it completes
(so a killed process loses none), fsynced in small batches (so does a power cut, mostly), and a
run that was killed mid-write is picked up where it stopped.

A kill can only tear the line being written (every line is written whole, then flushed): on
the next load, bytes after the last newline are dropped if they do not parse, and given their
newline if they do (an editor saved the file without a final newline: that line is a record).
A bad line anywhere else was made by hand, and is an error naming it, so nothing is overwritten
by guesswork.

The review page may replace the file while a run appends to it. Both hold the file's lock while
they change it, and the appender reopens the file when it finds it replaced, so no record the run
reported as written is left in a file nobody reads.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from voicetune import files
from voicetune.records import JsonlAppender, Record, drop_torn_tail, parse_lines, parse_records, read_records, record_line, write_records


class DatasetFile:
    """interview.jsonl at `path` (it need not exist yet).

    Readers: `load` (synth's own: repairs a torn tail, a later line for an id is its newer
    version), `read` and `parse` (everyone else: a repeated id is an error). Writers: `appender`
    (a running synth), `rewrite` (synth's final rewrite: merge into what is on disk), `update`
    (the review page's save: checks the bytes on disk first). Every writer holds `locked()`."""

    def __init__(self, path: Path):
        from filelock import FileLock  # here, not at the top: `synth --help` needs no lock (30 ms to import)

        self.path = path
        # One lock object per file object. filelock's options that matter here: thread_local (its
        # default) gives each thread holding it a descriptor of its own, so flock excludes the
        # review server's threads from each other as it excludes processes (with thread_local=False
        # a second thread would enter the lock the first holds); it is re-entrant within a thread.
        # fallback_to_soft=False: where the file system has no flock, fail as fcntl did, rather
        # than fall back to a lock file that a `kill -9` would leave behind to block later runs.
        self._lock = FileLock(self.lock_path, thread_local=True, fallback_to_soft=False)

    # -- the files beside it

    def sidecar(self, name: str) -> Path:
        """interview.jsonl -> interview.<name>, e.g. interview.rejects.jsonl, interview.manifest.json"""
        return self.path.with_name(f"{self.path.stem}.{name}")

    @property
    def rejects(self) -> Path:
        return self.sidecar("rejects.jsonl")

    @property
    def manifest(self) -> Path:
        return self.sidecar("manifest.json")

    @property
    def sources(self) -> Path:
        return self.sidecar("sources.json")

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(f"{self.path.name}.lock")

    def reject_log(self) -> JsonlAppender:
        """The rejects file, open for appending; each reply flushed as it is written."""
        return JsonlAppender(self.rejects)

    def write_manifest(self, manifest: dict) -> Path:
        return files.write_text(self.manifest, json.dumps(manifest, indent=2) + "\n")

    def refuse_links(self) -> None:
        """LinkRefused if the file or one beside it that a run writes is a symbolic link (each write
        checks its own path too; this refuses before a run starts rather than halfway)."""
        for path in (self.path, self.rejects, self.manifest, self.sources, self.lock_path, self.sidecar("log")):
            files.refuse_link(path)

    # -- the lock

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file's advisory lock (`interview.jsonl.lock`, flock through filelock) for the block.

        Everything that changes the file holds it: an appender for each write, a rewriter (synth's
        final rewrite, the review page's save) from its read to its rename. So no append lands in a
        file that is being replaced, and an appender that finds the file replaced reopens it."""
        files.refuse_link(self.lock_path)  # filelock opens it with O_TRUNC: a link's target would be emptied
        with self._lock:
            yield

    # -- reading

    def load(self) -> list[Record]:
        """What synth resumes from: [] for no file; a torn last line dropped first (under the lock)."""
        if not self.path.exists():
            return []
        with self.locked():
            self._drop_torn_tail()
        return read_records(self.path, resume=True)

    def read(self) -> list[Record]:
        """Every record, or MalformedFile naming the first bad line; reads only, never repairs."""
        return read_records(self.path)

    def parse(self, data: bytes) -> list[Record]:
        """The records of bytes read from this file (`read` of bytes in hand)."""
        return parse_records(data, self.path)

    def snapshot(self) -> tuple[list[Record], bytes]:
        """(records, the bytes they were read from), for a page that saves against what it showed."""
        data = self.path.read_bytes()
        return self.parse(data), data

    def _drop_torn_tail(self) -> int:
        return drop_torn_tail(self.path)

    # -- writing

    def rewrite(self, merge: Callable[[list[Record]], list[Record]]) -> list[Record]:
        """Replace the file with merge(records now on disk), holding the lock from the read to the
        rename, so neither an append nor a review save lands in between and is lost."""
        with self.locked():
            lines = self._lines(keep_reviewed=True)
            records = merge([record for record, _ in lines])
            write_records(self.path, records, unchanged=lines)
        return records

    def _lines(self, keep_reviewed: bool = False) -> list[tuple[Record, bytes]]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as f:
            return parse_lines(f, self.path, resume=True, keep_reviewed=keep_reviewed)

    def update(self, change: Callable[[bytes], list[Record]]) -> bytes:
        """Replace the file with change(its bytes now), holding the lock from the read to the
        rename; `change` may raise to refuse (say, the file is not what the page edited), and
        nothing is written then. Returns the file's bytes after."""
        with self.locked():
            data = self.path.read_bytes()
            records = change(data)
            write_records(self.path, records, unchanged=parse_lines(data, self.path))
            return self.path.read_bytes()

    def appender(self, every: int = 8) -> Appender:
        return Appender(self, every)


class Appender:
    """Appends records: flushed at once, fsynced every `every` records and on close. Each write
    holds the file's lock and first reopens the file if a rewrite replaced it since."""

    def __init__(self, dataset: DatasetFile, every: int = 8):
        dataset.path.parent.mkdir(parents=True, exist_ok=True)
        self.dataset, self.path = dataset, dataset.path
        self.file = files.open_append(self.path)
        self.every, self.pending = every, 0

    def add(self, records: Iterable[Record]) -> None:
        lines = [record_line(r) for r in records]
        with self.dataset.locked():
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
            self.file = files.open_append(self.path)

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
