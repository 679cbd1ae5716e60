"""The review page: a local web server over one interview.jsonl, for accepting, rejecting and
editing records (a conversation's turns together), and its blind-test mode over a training run.

    GET  /?token=T              the page (review_page.html: vanilla JS, record text set with textContent only)
    GET  /api/records           {"path", "version", "records", "interviews": [[id, ...], ...] (records.conversations),
                                 "checks": {id: [the question checks it fails (stats.question_faults)]},
                                 "pairs": {id: {"rejected", "stopped", "current"}} (interview.pairs.jsonl, from synth pairs)}
    POST /api/records/<id>      {"status", "question"?, "answer"?, "version"} -> {"record", "version"}
    POST /api/records           {"version", "changes": [{"id", "status", "question"?, "answer"?}, ...]}
                                -> {"records", "version"}: all or nothing (a whole conversation)
    GET  /api/blind             blind mode: {"path", "items": [{"id", "question", "answers": [a, b]}], "guessed", "correct"}
    POST /api/blind/<id>        {"choice": 0 | 1} -> {"guessed", "correct", "total"}

Who may call it: the server listens on 127.0.0.1 and answers only requests that carry the run's
secret token (`?token=` on the page's URL, the `X-Review-Token` header on the API, as notebook
servers do) and whose `Host` and `Origin` name this server, so neither another local user's page
nor a DNS-rebinding site can read or change the file. Bodies are JSON of at most MAX_BODY bytes.

Every change rewrites the whole file at once (dataset.DatasetFile.update: temporary file, then
rename), in the same serialization synth uses, holding the file's lock from its read to its
rename, so a synth run appending at the same time loses nothing. `version` is the size and
sha256 of the file's bytes when the page read it: if the file changed on disk since other than
by appended records (a hand edit, synth's final rewrite), a save is refused with 409 instead of
overwriting, and the page says so. A malformed file is reported with its line number
and never written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import threading
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from synth.generation.judge import MAX_QUESTION_CHARS
from synth.dataset.stats import question_faults
from synth.repair.segment import sentence_ends
from voicetune.conversations import DataError, pair_lines, pairs
from voicetune.dataset import DatasetFile
from voicetune.records import STATUSES, JsonlAppender, MalformedFile, Record, conversations, dumps, iter_jsonl

PAGE = Path(__file__).with_name("review_page.html")
CHANGED_ON_DISK = "the file changed on disk since you loaded it: reload"
MAX_BODY = 1_000_000  # bytes: a whole conversation's edits fit many times over
TOKEN_HEADER = "X-Review-Token"


class Conflict(Exception):
    """The file on disk is not the version the page edited."""


class BadRequest(ValueError):
    """A request body that is not what the API takes."""


def apply(record: Record, status: str, question: str | None = None, answer: str | None = None) -> Record:
    """The record after a reviewer's change. A record whose question or answer differs from what
    was generated is `edited` (which also means accepted) and keeps the generated text in
    `original`; rejecting it keeps `original`, so un-rejecting loses nothing; editing the text back
    to the original makes it plain `accepted` again. `pending` undoes the review, edits included:
    a pending record is one synth may regenerate, so it must hold the generated text. A changed
    question's `specificity` (the rank of its passage for the old question) becomes null: unknown."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    for name, value in (("question", question), ("answer", answer)):
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"{name} must be a string, not {type(value).__name__}")
    if status == "pending":
        if question is not None or answer is not None:
            raise ValueError("a pending record keeps its generated text: save an edit as accepted")
        generated = record.original or {"question": record.question, "answer": record.answer}
        return replace(record, question=generated["question"], answer=generated["answer"], status="pending", original=None,
                       specificity=_specificity(record, generated["question"]))
    question = record.question if question is None else question
    answer = record.answer if answer is None else answer
    original = record.original or {"question": record.question, "answer": record.answer}
    changed = (question, answer) != (original["question"], original["answer"])
    if changed and status == "accepted":
        status = "edited"
    elif not changed and status == "edited":
        status = "accepted"
    return replace(record, question=question, answer=answer, status=status, original=original if changed else None,
                   specificity=_specificity(record, question))


def _specificity(record: Record, question: str) -> float | None:
    """The record's score for `question`: its own if the question is unchanged, else unknown."""
    return record.specificity if question == record.question else None


def version_of(data: bytes) -> str:
    return f"{len(data)}:{hashlib.sha256(data).hexdigest()}"


def only_appended(data: bytes, version: str) -> bool:
    """Whether `data` is the version the page read, or it with whole lines appended (a synth run)."""
    size, _, _ = version.partition(":")
    if not size.isdigit() or int(size) > len(data):
        return False
    head = data[: int(size)]
    return version_of(head) == version and (not head or head.endswith(b"\n"))


def pair_view(path: Path) -> dict[str, dict]:
    """Each record's preference pair, for the page to show beside the author's answer: the base
    model's answer, whether it ended on its own, and whether it is `current` (the pair preference
    training would use with the default system message: not for a rejected record, nor one whose
    question changed since it was made). {} without a pairs file or with one that cannot be read."""
    try:
        lines = pair_lines(path)
        current = {pair.id for pair in pairs(path)} if lines else set()
    except (DataError, MalformedFile):
        return {}
    return {rid: {"rejected": line["rejected"], "stopped": line.get("stopped"), "current": rid in current} for rid, line in lines.items()}


class ReviewFile:
    """One JSONL file under review; every read-check-write holds the locks, so neither two tabs
    nor a synth run appending can interleave with it."""

    def __init__(self, path: Path):
        self.file = DatasetFile(path)
        self.lock = threading.Lock()  # one save at a time in this process (the file's lock excludes threads too: each holds its own descriptor)

    def read(self) -> tuple[list[Record], str]:
        """(records, version); MalformedFile names the first bad line."""
        records, data = self.file.snapshot()
        return records, version_of(data)

    def update(self, record_id: str, version: str, status: str, question: str | None = None, answer: str | None = None) -> tuple[Record, str]:
        records, version = self.update_many(version, [{"id": record_id, "status": status, "question": question, "answer": answer}])
        return records[0], version

    def update_many(self, version: str, changes: list[dict]) -> tuple[list[Record], str]:
        """Apply every change or none; KeyError names an id the file lacks."""
        if not isinstance(version, str):
            raise BadRequest("version must be the string the page was given")
        changed: list[Record] = []

        def apply_all(data: bytes) -> list[Record]:
            if not only_appended(data, version):
                raise Conflict(CHANGED_ON_DISK)
            records = self.file.parse(data)
            where = {r.id: i for i, r in enumerate(records)}
            for change in changes:
                index = where[change["id"]]
                check_edited_question(records[index], change.get("question"))
                records[index] = apply(records[index], change["status"], change.get("question"), change.get("answer"))
                changed.append(records[index])
            return records

        with self.lock:
            return changed, version_of(self.file.update(apply_all))


def check_edited_question(record: Record, question) -> None:
    """BadRequest for an edit that leaves no question, or one longer than a generated question may
    be; a question kept as it was passes (a transcript's real question may be longer)."""
    if not isinstance(question, str) or question == record.question:
        return  # not a string: apply names the type
    if not question.strip():
        raise BadRequest("the question is empty: write one, or reject the record")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadRequest(f"the question is {len(question)} characters; at most {MAX_QUESTION_CHARS}: shorten it")


def changes_of(body) -> list[dict]:
    """The list of changes a batch request holds, each checked for its keys' types."""
    if not isinstance(body, dict) or not isinstance(body.get("changes"), list) or not body["changes"]:
        raise BadRequest('a batch is {"version": ..., "changes": [{"id", "status", "question"?, "answer"?}, ...]}')
    for change in body["changes"]:
        if not isinstance(change, dict) or not isinstance(change.get("id"), str) or not isinstance(change.get("status"), str):
            raise BadRequest('each change needs "id" and "status" strings')
    if len({c["id"] for c in body["changes"]}) != len(body["changes"]):
        raise BadRequest("a batch changes each record once")
    return body["changes"]


AUTHOR, TUNED = "author", "tuned"


class BlindTest:
    """`RUN/eval_answers.jsonl` shown as pairs, author's passage and tuned model's answer in an
    order drawn per question; each guess appended (and flushed) to `RUN/blind.jsonl` at once.
    Questions guessed before (in that file) are not asked again."""

    def __init__(self, run: Path, rng: random.Random | None = None):
        self.answers_path, self.path = run / "eval_answers.jsonl", run / "blind.jsonl"
        if not self.answers_path.is_file():
            raise FileNotFoundError(f"{self.answers_path}: no such file; run `train eval` on {run} first")
        self.rows = self._rows()
        rng = rng or random.Random(secrets.randbits(64))
        self.shown = {row["id"]: tuple(rng.sample((AUTHOR, TUNED), 2)) for row in self.rows}
        self.guesses = self._guesses()
        self.lock = threading.Lock()

    def _rows(self) -> list[dict]:
        rows, seen = [], set()
        with open(self.answers_path, "rb") as f:
            for number, row in iter_jsonl(f, self.answers_path):
                fields = ("id", "question", "passage", "tuned")
                if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in fields) or row["id"] in seen:
                    raise MalformedFile(f"{self.answers_path}:{number}: needs a unique id and question, passage and tuned strings; run `train eval` again")
                seen.add(row["id"])
                rows.append(row)
        if not rows:
            raise MalformedFile(f"{self.answers_path}: no answers to compare; run `train eval` again")
        return rows

    def _guesses(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        guesses = {}
        with open(self.path, "rb") as f:
            for number, g in iter_jsonl(f, self.path):
                if not isinstance(g, dict) or not isinstance(g.get("id"), str) or not isinstance(g.get("correct"), bool):
                    raise MalformedFile(f"{self.path}:{number}: not a guess (an object with id, shown, guess and correct); fix or delete that line")
                guesses[g["id"]] = g
        return guesses

    def state(self) -> dict:
        items = []
        for row in self.rows:
            if row["id"] not in self.guesses:
                text = dict(zip((AUTHOR, TUNED), comparable(row["passage"], row["tuned"])))
                items.append({"id": row["id"], "question": row["question"], "answers": [text[who] for who in self.shown[row["id"]]]})
        return {"path": str(self.path), "items": items, **self.score()}

    def score(self) -> dict:
        guessed = self.guesses.values()
        return {"guessed": len(guessed), "correct": sum(g["correct"] for g in guessed), "total": len(self.rows)}

    def guess(self, row_id: str, choice) -> dict:
        if choice not in (0, 1) or isinstance(choice, bool):
            raise BadRequest('choice must be 0 (the left answer) or 1 (the right one)')
        with self.lock:
            if row_id not in self.shown:
                raise KeyError(row_id)
            if row_id in self.guesses:
                raise Conflict(f"{row_id} was guessed already")
            shown = list(self.shown[row_id])
            entry = {"id": row_id, "shown": shown, "guess": shown[choice], "correct": shown[choice] == AUTHOR}
            with JsonlAppender(self.path) as append:
                append(entry)
            self.guesses[row_id] = entry
            return self.score()


def comparable(passage: str, answer: str) -> tuple[str, str]:
    """Both texts cut to a comparable length, so that length does not give the author away (a
    100-word passage against "I am not at home."): each is cut at its sentence end nearest the
    shorter one's length in characters; the shorter one thus stays whole."""
    passage, answer = passage.strip(), answer.strip()
    target = min(len(passage), len(answer))
    return _cut_near(passage, target), _cut_near(answer, target)


def _cut_near(text: str, chars: int) -> str:
    end = min(sentence_ends(text), key=lambda e: (abs(e - chars), e)) if text else 0
    return text[:end].strip()


def read_json(handler: BaseHTTPRequestHandler):
    """The request's JSON body; BadRequest for a missing, malformed or oversized one (nothing is read then)."""
    length = handler.headers.get("Content-Length")
    if length is None or handler.headers.get("Transfer-Encoding"):
        raise BadRequest("a request body needs a Content-Length")
    if not (length.isascii() and length.isdigit()):
        raise BadRequest(f"Content-Length {length[:20]!r} is not a number of bytes")
    if int(length) > MAX_BODY:
        raise TooLarge(f"the body is {int(length)} bytes; at most {MAX_BODY} are taken")
    try:
        return json.loads(handler.rfile.read(int(length)))
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequest(f"the body is not JSON: {e}") from None
    except RecursionError:  # json.loads of thousands of nested brackets
        raise BadRequest("the body is nested too deeply to be a change") from None


class TooLarge(BadRequest):
    pass


def make_server(path: Path, host: str = "127.0.0.1", port: int = 0, *, blind: BlindTest | None = None, token: str | None = None) -> ThreadingHTTPServer:
    """A server over `path` (port 0: a free one, see server.server_address), or in blind mode over
    `blind` (path is then the run folder); call serve_forever(). `url(server)` carries the token."""
    return ReviewServer((host, port), path, review=None if blind else ReviewFile(path), blind=blind, token=token or secrets.token_urlsafe(24))


class ReviewServer(ThreadingHTTPServer):
    """What the page serves, for its handlers: the file under review or the blind test, and the
    run's secret."""

    def __init__(self, address: tuple, path: Path, *, review: ReviewFile | None, blind: BlindTest | None, token: str):
        super().__init__(address, Handler)
        self.data_path, self.review, self.blind, self.token = path, review, blind, token


class Handler(BaseHTTPRequestHandler):
    server: ReviewServer

    def do_GET(self):
        if not self.allowed():
            return
        route = urlsplit(self.path).path
        review, blind = self.server.review, self.server.blind
        if route in ("/", "/index.html"):
            page = PAGE.read_text(encoding="utf-8").replace('data-mode="review"', f'data-mode="{"blind" if blind else "review"}"')
            self.send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8")
        elif route == "/api/records" and review:
            try:
                records, version = review.read()
            except MalformedFile as e:
                return self.json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(e)})
            interviews = [[r.id for r in turns] for turns in conversations(records)]  # grouped here only: records.conversations
            checks = question_faults(records)  # the question checks each fails, shown with its flags
            self.json(HTTPStatus.OK, {"path": str(self.server.data_path), "version": version, "records": [r.to_dict() for r in records], "interviews": interviews,
                                      "checks": checks, "pairs": pair_view(self.server.data_path)})
        elif route == "/api/blind" and blind:
            self.json(HTTPStatus.OK, blind.state())
        else:
            self.json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {route}"})

    def do_POST(self):
        if not self.allowed():
            return
        try:
            self.json(*self.post(urlsplit(self.path).path))
        except TooLarge as e:
            self.close_connection = True  # the body was not read
            self.json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"{e}; nothing was saved"})
        except Conflict as e:
            self.json(HTTPStatus.CONFLICT, {"error": str(e)})
        except MalformedFile as e:
            self.json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": f"{e}; nothing was saved"})
        except KeyError as e:
            self.json(HTTPStatus.NOT_FOUND, {"error": f"no record {e.args[0]!r} in the file; nothing was saved"})
        except (ValueError, TypeError) as e:  # BadRequest, a bad status, a field of the wrong type (InvalidRecord)
            self.close_connection = isinstance(e, BadRequest)  # its body may be unread
            self.json(HTTPStatus.BAD_REQUEST, {"error": f"{e}; nothing was saved"})

    def post(self, route: str) -> tuple[HTTPStatus, dict]:
        """(status, payload) of a POST to `route`; raises what do_POST turns into an error."""
        review, blind = self.server.review, self.server.blind
        if review and route == "/api/records":
            body = read_json(self)
            records, version = review.update_many(body.get("version") if isinstance(body, dict) else None, changes_of(body))
            return HTTPStatus.OK, {"records": [r.to_dict() for r in records], "version": version}
        if review and route.startswith("/api/records/"):
            body = read_json(self)
            if not isinstance(body, dict) or not isinstance(body.get("status"), str):
                raise BadRequest('a change is {"status", "question"?, "answer"?, "version"}')
            record_id = unquote(route.removeprefix("/api/records/"))
            record, version = review.update(record_id, body.get("version"), body["status"], body.get("question"), body.get("answer"))
            return HTTPStatus.OK, {"record": record.to_dict(), "version": version}
        if blind and route.startswith("/api/blind/"):
            body = read_json(self)
            return HTTPStatus.OK, blind.guess(unquote(route.removeprefix("/api/blind/")), body.get("choice") if isinstance(body, dict) else None)
        return HTTPStatus.NOT_FOUND, {"error": f"no such page: {route}"}

    def allowed(self) -> bool:
        """Only this server's own page: its Host, its Origin (when a browser sends one), its token."""
        hosts = allowed_hosts(self.server.server_address[:2])
        origin = self.headers.get("Origin")
        token = self.headers.get(TOKEN_HEADER) or parse_qs(urlsplit(self.path).query).get("token", [""])[0]
        if (self.headers.get("Host") or "").lower() not in hosts:
            reason = "this server answers only to its own address (Host)"
        elif origin is not None and origin.lower() not in {f"http://{h}" for h in hosts}:
            reason = "requests from other sites are refused (Origin)"
        elif not hmac.compare_digest(token.encode(), self.server.token.encode()):
            reason = "a valid token is needed: open the URL `synth review` printed, with its ?token="
        else:
            return True
        self.close_connection = True
        self.json(HTTPStatus.FORBIDDEN, {"error": reason})
        return False

    def json(self, status: HTTPStatus, payload: dict) -> None:
        self.send(status, dumps(payload).encode(), "application/json; charset=utf-8")

    def send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")  # the token stays out of Referer headers
        self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # quiet: the terminal shows the URL, not every request
        pass


def allowed_hosts(address: tuple) -> set[str]:
    host, port = address
    names = {str(host).lower(), "127.0.0.1", "localhost", "[::1]"} if str(host) in ("127.0.0.1", "::1", "localhost") else {str(host).lower()}
    return {f"{name}:{port}" for name in names}


def url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/?token={quote(server.token)}"
