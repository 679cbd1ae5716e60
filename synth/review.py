"""The review page: a local web server over one interview.jsonl, for accepting, rejecting and
editing records one at a time.

    GET  /                    the page (review_page.html: vanilla JS, record text set with textContent only)
    GET  /api/records         {"path", "version", "records"}
    POST /api/records/<id>    {"status", "question"?, "answer"?, "version"} -> {"record", "version"}

Every change rewrites the whole file at once (records.write_records: temporary file, then
rename), in the same serialization synth uses, so a later synth run leaves a reviewed line
byte-for-byte as the page wrote it. `version` is the sha256 of the file's bytes when the page
read it: if the file changed on disk since (a hand edit, a synth run), a save is refused with
409 instead of overwriting, and the page says so. A malformed file is reported with its line
number and never written.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from synth.records import STATUSES, MalformedFile, Record, parse_records, write_records

PAGE = Path(__file__).with_name("review_page.html")
CHANGED_ON_DISK = "the file changed on disk since you loaded it: reload"


class Conflict(Exception):
    """The file on disk is not the version the page edited."""


def apply(record: Record, status: str, question: str | None = None, answer: str | None = None) -> Record:
    """The record after a reviewer's change. A record whose question or answer differs from what
    was generated is `edited` (which also means accepted) and keeps the generated text in
    `original`; rejecting it keeps `original`, so un-rejecting loses nothing; editing the text back
    to the original makes it plain `accepted` again. `pending` undoes the review, edits included:
    a pending record is one synth may regenerate, so it must hold the generated text."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if status == "pending":
        if question is not None or answer is not None:
            raise ValueError("a pending record keeps its generated text: save an edit as accepted")
        generated = record.original or {"question": record.question, "answer": record.answer}
        return replace(record, question=generated["question"], answer=generated["answer"], status="pending", original=None)
    question = record.question if question is None else question
    answer = record.answer if answer is None else answer
    original = record.original or {"question": record.question, "answer": record.answer}
    changed = (question, answer) != (original["question"], original["answer"])
    if changed and status == "accepted":
        status = "edited"
    elif not changed and status == "edited":
        status = "accepted"
    return replace(record, question=question, answer=answer, status=status, original=original if changed else None)


class ReviewFile:
    """One JSONL file under review; every read-check-write holds the lock, so two tabs cannot interleave."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()

    def read(self) -> tuple[list[Record], str]:
        """(records, version); MalformedFile names the first bad line."""
        data = self.path.read_bytes()
        return parse_records(data.decode("utf-8").splitlines(keepends=True), self.path), hashlib.sha256(data).hexdigest()

    def update(self, record_id: str, version: str, status: str, question: str | None = None, answer: str | None = None) -> tuple[Record, str]:
        with self.lock:
            records, current = self.read()
            if version != current:
                raise Conflict(CHANGED_ON_DISK)
            index = next((i for i, r in enumerate(records) if r.id == record_id), None)
            if index is None:
                raise KeyError(record_id)
            records[index] = apply(records[index], status, question, answer)
            write_records(self.path, records)
            return records[index], self.read()[1]


def make_server(path: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A server over `path` (port 0: a free one, see server.server_address); call serve_forever()."""
    review = ReviewFile(path)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path in ("/", "/index.html"):
                self.send(HTTPStatus.OK, PAGE.read_bytes(), "text/html; charset=utf-8")
            elif self.path == "/api/records":
                try:
                    records, version = review.read()
                except MalformedFile as e:
                    return self.json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(e)})
                self.json(HTTPStatus.OK, {"path": str(path), "version": version, "records": [asdict(r) for r in records]})
            else:
                self.json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {self.path}"})

        def do_POST(self):
            if not self.path.startswith("/api/records/"):
                return self.json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {self.path}"})
            record_id = unquote(self.path.removeprefix("/api/records/"))
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                record, version = review.update(record_id, body["version"], body["status"], body.get("question"), body.get("answer"))
            except Conflict as e:
                return self.json(HTTPStatus.CONFLICT, {"error": str(e)})
            except MalformedFile as e:
                return self.json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": f"{e}; nothing was saved"})
            except KeyError as e:
                return self.json(HTTPStatus.NOT_FOUND if e.args[0] == record_id else HTTPStatus.BAD_REQUEST, {"error": f"missing: {e}"})
            except (ValueError, TypeError) as e:
                return self.json(HTTPStatus.BAD_REQUEST, {"error": str(e)})
            self.json(HTTPStatus.OK, {"record": asdict(record), "version": version})

        def json(self, status: HTTPStatus, payload: dict) -> None:
            self.send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json; charset=utf-8")

        def send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # quiet: the terminal shows the URL, not every request
            pass

    return ThreadingHTTPServer((host, port), Handler)


def url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"
