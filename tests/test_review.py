"""The review server's rules and API (no browser: see test_review_browser.py), and what a re-run
of synth does to reviewed records."""

from __future__ import annotations

import json
from dataclasses import replace
import threading
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from synth import pipeline
from voicetune import prompts
from voicetune.dataset import DatasetFile
from synth.dataset import review
from synth.cli import cli
from synth.generation.job import Job
from voicetune.records import MalformedFile, Record, read_records, record_line, write_records
from tests.test_generate import FakeEngine
from voicetune.conversations import select


def record(i: int, **kwargs) -> Record:
    return Record(f"id{i}", f"Why {i}?", f"Answer {i}.", {"file": "b.pdf", "pages": str(i)}, **kwargs)


def test_accept_and_reject_set_the_status_only():
    assert review.apply(record(1), "accepted") == record(1, status="accepted")
    assert review.apply(record(1), "rejected") == record(1, status="rejected")


def test_an_edit_keeps_the_generated_text_and_editing_it_back_undoes_the_edit():
    edited = review.apply(record(1), "accepted", question="Why one?")
    assert (edited.status, edited.question, edited.original) == ("edited", "Why one?", {"question": "Why 1?", "answer": "Answer 1."})
    again = review.apply(edited, "accepted", answer="Answer one.")
    assert (again.status, again.question, again.answer, again.original) == ("edited", "Why one?", "Answer one.", edited.original)
    assert review.apply(edited, "rejected").original == edited.original  # un-rejecting loses nothing
    assert review.apply(edited, "edited", question="Why 1?") == record(1, status="accepted")


def test_an_edited_question_loses_its_specificity_and_other_changes_keep_it():
    scored = record(1, specificity=0.5)
    assert review.apply(scored, "accepted", question="Why one?").specificity is None  # ranked for the old question
    assert review.apply(scored, "accepted", answer="Answer one.").specificity == 0.5
    assert review.apply(scored, "rejected").specificity == 0.5
    assert review.apply(review.apply(scored, "accepted", question="Why one?"), "pending").specificity is None


def test_back_to_pending_undoes_the_review_edits_included():
    edited = review.apply(record(1), "accepted", question="Why one?")
    assert review.apply(edited, "pending") == record(1)
    with pytest.raises(ValueError, match="save an edit as accepted"):
        review.apply(record(1), "pending", question="Why one?")


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="'done' is not one of pending, accepted, rejected, edited"):
        review.apply(record(1), "done")


def test_status_follows_source_in_the_file_and_a_bad_status_names_its_line(tmp_path):
    path = tmp_path / "interview.jsonl"
    write_records(path, [record(1), record(2)])
    assert list(json.loads(path.read_text().splitlines()[0]))[:5] == ["id", "question", "answer", "source", "status"]
    path.write_text(path.read_text().replace('"status": "pending"', '"status": "acepted"', 1))
    for read in (read_records, lambda path: DatasetFile(path).load()):
        with pytest.raises(MalformedFile, match=r"interview.jsonl:1: .*status must be one of pending, accepted, rejected, edited, not str 'acepted'"):
            read(path)


@pytest.fixture
def served(tmp_path):
    """(path, base url) of a review server on a free port over three records; `call` adds the token."""
    path = tmp_path / "interview.jsonl"
    write_records(path, [record(1), record(2), record(3)])
    server = review.make_server(path, token=TOKEN)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path, review.url(server).split("/?")[0]
    server.shutdown()
    server.server_close()


TOKEN = "test-token"


def call(url: str, body: dict | None = None, headers: dict | None = None, data: bytes | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else data
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", review.TOKEN_HEADER: TOKEN, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_server_binds_to_localhost_on_a_free_port_and_serves_the_page(served):
    path, url = served
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    with urllib.request.urlopen(url + f"/?token={TOKEN}", timeout=10) as response:
        assert b"voicetune review" in response.read()


def test_a_save_rewrites_the_file_with_the_change_and_a_new_version(served):
    path, url = served
    status, body = call(url + "/api/records")
    assert status == 200 and [r["id"] for r in body["records"]] == ["id1", "id2", "id3"]
    status, saved = call(url + "/api/records/id2", {"status": "accepted", "question": "Why two?", "version": body["version"]})
    assert status == 200 and saved["version"] != body["version"]
    assert read_records(path)[1] == Record("id2", "Why two?", "Answer 2.", {"file": "b.pdf", "pages": "2"}, status="edited", original={"question": "Why 2?", "answer": "Answer 2."})
    assert not list(path.parent.glob("*.tmp"))
    status, _ = call(url + "/api/records/id3", {"status": "rejected", "version": saved["version"]})
    assert status == 200 and [r.status for r in read_records(path)] == ["pending", "edited", "rejected"]


def test_the_page_gets_the_question_checks_each_record_fails(served):
    path, url = served
    _, body = call(url + "/api/records")
    assert body["checks"] == {"id1": ["shell_question"], "id2": ["shell_question"], "id3": ["shell_question"]}  # "Why 1?" fits any passage
    call(url + "/api/records/id2", {"status": "edited", "question": "Why did you answer 2?", "version": body["version"]})
    assert call(url + "/api/records")[1]["checks"]["id2"] == []


def test_a_file_changed_on_disk_is_not_overwritten(served):
    path, url = served
    _, body = call(url + "/api/records")
    path.write_text(path.read_text().replace("Why 1?", "Why one, by hand?"))  # a hand edit of the same size or not
    before = path.read_bytes()
    status, answer = call(url + "/api/records/id2", {"status": "accepted", "version": body["version"]})
    assert (status, answer["error"]) == (409, review.CHANGED_ON_DISK)
    assert path.read_bytes() == before


def test_a_malformed_file_is_reported_by_line_and_never_written(served):
    path, url = served
    _, body = call(url + "/api/records")
    path.write_text(path.read_text() + '{"id": "id4", "question": \n')
    before = path.read_bytes()
    status, answer = call(url + "/api/records")
    assert status == 422 and "interview.jsonl:4:" in answer["error"] and '{"id": "id4"' in answer["error"]
    status, answer = call(url + "/api/records/id1", {"status": "accepted", "version": body["version"]})
    assert status in (409, 422) and path.read_bytes() == before


def test_unknown_records_and_bad_requests_are_errors(served):
    _, url = served
    version = call(url + "/api/records")[1]["version"]
    assert call(url + "/api/records/nope", {"status": "accepted", "version": version})[0] == 404
    assert call(url + "/api/records/id1", {"status": "done", "version": version})[0] == 400
    assert call(url + "/api/records/id1", {"status": "accepted"})[0] == 400


def raw_post(url: str, path: str, headers: dict, body: bytes = b"") -> tuple[int, dict]:
    """A POST with exactly these headers (urllib would fix a bad Content-Length)."""
    import http.client
    from urllib.parse import urlsplit

    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=10)
    conn.putrequest("POST", path)
    for name, value in {review.TOKEN_HEADER: TOKEN, "Content-Type": "application/json", **headers}.items():
        conn.putheader(name, value)
    conn.endheaders(body)
    response = conn.getresponse()
    status, payload = response.status, json.loads(response.read())
    conn.close()
    return status, payload


def test_only_requests_with_the_token_our_host_and_our_origin_are_answered(served):
    path, url = served
    port = url.rsplit(":", 1)[1]
    before = path.read_bytes()
    version = call(url + "/api/records")[1]["version"]
    refused = [
        ({review.TOKEN_HEADER: ""}, "token"), ({review.TOKEN_HEADER: "guess"}, "token"),
        ({"Host": f"evil.example:{port}"}, "Host"), ({"Host": "evil.example"}, "Host"),  # DNS rebinding
        ({"Origin": "http://evil.example"}, "Origin"), ({"Origin": "null"}, "Origin"), ({"Origin": "http://127.0.0.1:1"}, "Origin"),
    ]
    for headers, reason in refused:
        status, body = call(url + "/api/records", headers=headers)
        assert status == 403 and reason in body["error"] and "records" not in body and str(path) not in json.dumps(body), headers
        status, body = call(url + "/api/records/id1", {"status": "rejected", "question": "Owned?", "version": version}, headers=headers)
        assert status == 403, headers
    assert path.read_bytes() == before
    for page in ("/", "/?token=wrong"):
        assert call(url + page, headers={review.TOKEN_HEADER: ""})[0] == 403
    for headers in ({"Host": f"localhost:{port}"}, {"Origin": url}, {"Origin": f"http://localhost:{port}"}):
        assert call(url + "/api/records", headers=headers)[0] == 200, headers
    assert call(url + f"/api/records?token={TOKEN}", headers={review.TOKEN_HEADER: ""})[0] == 200


def test_the_printed_url_carries_a_secret_of_its_own_per_server(tmp_path):
    path = tmp_path / "interview.jsonl"
    write_records(path, [record(1)])
    urls = []
    for _ in range(2):
        server = review.make_server(path)
        urls.append(review.url(server))
        server.server_close()
    tokens = [u.split("?token=")[1] for u in urls]
    assert len(set(tokens)) == 2 and all(len(t) >= 24 for t in tokens)


@pytest.mark.parametrize("length, code", [(str(review.MAX_BODY + 1), 413), ("50000000", 413), ("1000000000000000", 413), ("1e15", 400), ("-1", 400), ("", 400)])
def test_a_body_too_large_or_a_bad_content_length_is_refused_unread(served, length, code):
    path, url = served
    before = path.read_bytes()
    status, body = raw_post(url, "/api/records/id1", {"Content-Length": length})
    assert status == code and "nothing was saved" in body["error"]
    assert path.read_bytes() == before
    assert call(url + "/api/records")[0] == 200  # the server is still there


def test_a_post_without_content_length_is_refused(served):
    path, url = served
    status, body = raw_post(url, "/api/records/id1", {})
    assert status == 400 and "Content-Length" in body["error"]


@pytest.mark.parametrize("value", [123, ["Why?"], {"q": "Why?"}, True, None])
def test_an_edit_of_the_wrong_type_is_refused_and_nothing_saved(served, value):
    path, url = served
    version = call(url + "/api/records")[1]["version"]
    before = path.read_bytes()
    for field in ("question", "answer"):
        status, body = call(url + "/api/records/id1", {"status": "accepted", field: value, "version": version})
        if value is None:  # null: no change of that field
            assert status == 200
            version = body["version"]
            before = path.read_bytes()
            continue
        assert status == 400 and f"{field} must be a string" in body["error"]
        assert path.read_bytes() == before
    for body in ([1], "x", {"status": 1, "version": version}, {"version": version, "changes": [{"id": 1, "status": "accepted"}]}):
        route = "/api/records" if isinstance(body, dict) and "changes" in body else "/api/records/id1"
        assert call(url + route, body)[0] == 400, body


def test_a_line_separator_in_an_edit_is_saved_and_read_back(served):
    path, url = served
    version = call(url + "/api/records")[1]["version"]
    text = "One\u2028two\u2029three\x85four."
    status, body = call(url + "/api/records/id1", {"status": "accepted", "answer": text, "version": version})
    assert status == 200 and body["record"]["answer"] == text
    status, body = call(url + "/api/records")
    assert status == 200 and body["records"][0]["answer"] == text
    assert call(url + "/api/records/id2", {"status": "accepted", "version": body["version"]})[0] == 200


def test_duplicate_ids_are_shown_as_an_error_and_never_saved(served):
    path, url = served
    version = call(url + "/api/records")[1]["version"]
    path.write_text(path.read_text() + path.read_text().splitlines(keepends=True)[0])  # id1 twice
    before = path.read_bytes()
    status, body = call(url + "/api/records")
    assert status == 422 and "interview.jsonl:4: id 'id1' is already used on line 1" in body["error"]
    for v in (version, review.version_of(before)):
        assert call(url + "/api/records/id1", {"status": "rejected", "version": v})[0] in (409, 422)
    assert path.read_bytes() == before


def test_a_batch_saves_every_change_or_none(served):
    path, url = served
    version = call(url + "/api/records")[1]["version"]
    before = path.read_bytes()
    status, _ = call(url + "/api/records", {"version": version, "changes": [{"id": "id1", "status": "accepted"}, {"id": "nope", "status": "accepted"}]})
    assert status == 404 and path.read_bytes() == before
    changes = [{"id": "id1", "status": "rejected"}, {"id": "id2", "status": "accepted", "question": "Why two?"}]
    status, body = call(url + "/api/records", {"version": version, "changes": changes})
    assert status == 200 and [r["status"] for r in body["records"]] == ["rejected", "edited"]
    assert [r.status for r in read_records(path)] == ["rejected", "edited", "pending"]


def test_a_save_after_records_were_appended_keeps_them_and_any_other_change_conflicts(served):
    """A synth run appending while the page is open: saves go on; a rewrite in between is a conflict."""
    path, url = served
    version = call(url + "/api/records")[1]["version"]
    with DatasetFile(path).appender() as appender:
        appender.add([record(4)])
    status, body = call(url + "/api/records/id1", {"status": "accepted", "version": version})
    assert status == 200 and [(r.id, r.status) for r in read_records(path)] == [("id1", "accepted"), ("id2", "pending"), ("id3", "pending"), ("id4", "pending")]
    write_records(path, read_records(path)[::-1])
    assert call(url + "/api/records/id2", {"status": "accepted", "version": body["version"]})[0] == 409


def test_keys_a_reviewer_added_survive_a_save_and_a_rerun_of_synth(tmp_path):
    out = tmp_path / "interview.jsonl"
    passages = [pipeline.Passage(f"id-{t}", f"{t}.", "book.pdf", 1, 1) for t in "ab"]
    template = prompts.load("question")
    pipeline.synthesize(passages, DatasetFile(out), lambda: FakeEngine(["Why a?", "Why b?"]), Job(template, model="m"))
    lines = out.read_text().splitlines()
    out.write_text("\n".join([lines[0][:-1] + ', "note": "check the date"}', lines[1]]) + "\n")
    file = review.ReviewFile(out)
    file.update("id-a", file.read()[1], "accepted")
    pipeline.synthesize(passages, DatasetFile(out), lambda: FakeEngine(["Why b, again?"]), Job(template, model="other"))
    assert [r.extra for r in read_records(out)] == [{"note": "check the date"}, {}]


def test_a_rerun_of_synth_leaves_reviewed_records_byte_for_byte(tmp_path):
    """Reviewed through the server, then synth runs again with other settings: pending records
    are regenerated, reviewed lines stay exactly as the review wrote them."""
    out = tmp_path / "interview.jsonl"
    texts = ["a", "b", "c", "d"]
    passages = [pipeline.Passage(f"id-{t}", f"{t}.", "book.pdf", 1, 1) for t in texts]
    template = prompts.load("question")
    pipeline.synthesize(passages, DatasetFile(out), lambda: FakeEngine([f"Why {t}?" for t in texts]), Job(template, model="m"))
    file = review.ReviewFile(out)
    version = file.read()[1]
    for rid, change in [("id-a", {"status": "accepted"}), ("id-b", {"status": "rejected"}), ("id-c", {"status": "accepted", "question": "Why c, really?"})]:
        version = file.update(rid, version, **change)[1]
    reviewed = out.read_bytes().splitlines(keepends=True)[:3]
    engine = FakeEngine(["Why d, again?"])  # another model: only the pending record is asked again
    records, summary = pipeline.synthesize(passages, DatasetFile(out), lambda: engine, Job(template, model="other"))
    lines = out.read_bytes().splitlines(keepends=True)
    assert lines[:3] == reviewed
    assert (summary.reused, summary.generated, len(engine.seen[0][0])) == (3, 1, 1)
    assert [r.question for r in read_records(out)] == ["Why a?", "Why b?", "Why c, really?", "Why d, again?"]


def test_a_review_saved_while_synth_runs_survives_its_final_rewrite(tmp_path):
    out = tmp_path / "interview.jsonl"
    passages = [pipeline.Passage(f"id-{t}", f"{t}.", "book.pdf", 1, 1) for t in "ab"]
    template = prompts.load("question")
    pipeline.synthesize(passages[:1], DatasetFile(out), lambda: FakeEngine(["Why a?"]), Job(template, model="m"))

    class ReviewMidRun(FakeEngine):
        def stream(self, conversations, sampling):
            file = review.ReviewFile(out)  # the page saves (replacing the file) while "b" is generated
            file.update("id-a", file.read()[1], "rejected")
            yield from super().stream(conversations, sampling)

    pipeline.synthesize(passages, DatasetFile(out), lambda: ReviewMidRun(["Why b?"]), Job(template, model="m"))
    assert [(r.id, r.status) for r in read_records(out)] == [("id-a", "rejected"), ("id-b", "pending")]


def test_training_uses_all_but_rejected_or_only_the_reviewed():
    records = [record(1), record(2, status="accepted"), record(3, status="rejected"), record(4, status="edited")]
    assert [r.id for r in select(records)] == ["id1", "id2", "id4"]
    assert [r.id for r in select(records, only_reviewed=True)] == ["id2", "id4"]


def test_review_and_stats_commands_name_a_malformed_line(tmp_path):
    path = tmp_path / "interview.jsonl"
    write_records(path, [record(1)])
    path.write_text(path.read_text() + "{oops\n")
    before = path.read_bytes()
    for command in (["review", "--no-browser", str(path)], ["stats", str(path)]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1 and "interview.jsonl:2:" in result.output and "{oops" in result.output
    assert path.read_bytes() == before


def test_stats_command_prints_the_report(tmp_path):
    path = tmp_path / "interview.jsonl"
    write_records(path, [record(1, status="accepted"), record(2), record(3, flags=["no_question", "empty"])])
    result = CliRunner().invoke(cli, ["stats", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 records" in result.output and "By status: pending 2, accepted 1, rejected 0, edited 0" in result.output
    assert "By flag: no_question 1, empty 1" in result.output


def eval_run(tmp_path, n: int = 3):
    run = tmp_path / "run"
    run.mkdir()
    rows = [{"id": f"h{i}", "question": f"Why {i}?", "passage": f"Author {i}.", "base": f"Base {i}.", "tuned": f"Tuned {i}.", "scores": {}} for i in range(n)]
    (run / "eval_answers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return run


def test_blind_test_saves_each_guess_as_it_comes_and_resumes_where_it_stopped(tmp_path):
    import random

    run = eval_run(tmp_path)
    test = review.BlindTest(run, random.Random(0))
    items = test.state()["items"]
    assert [i["id"] for i in items] == ["h0", "h1", "h2"]
    for item in items:  # both answers shown, in the order the test drew, labels never sent
        who = list(test.shown[item["id"]])
        assert item["answers"] == [{"author": f"Author {item['id'][1]}.", "tuned": f"Tuned {item['id'][1]}."}[w] for w in who]
    assert len({test.shown[i["id"]] for i in items}) == 2  # the order is drawn, not fixed (seed 0 draws both)
    first = test.shown["h0"].index("author")
    assert test.guess("h0", first) == {"guessed": 1, "correct": 1, "total": 3}
    assert test.guess("h1", 1 - test.shown["h1"].index("author")) == {"guessed": 2, "correct": 1, "total": 3}
    saved = [json.loads(line) for line in (run / "blind.jsonl").read_text().splitlines()]
    assert saved == [
        {"id": "h0", "shown": list(test.shown["h0"]), "guess": "author", "correct": True},
        {"id": "h1", "shown": list(test.shown["h1"]), "guess": "tuned", "correct": False},
    ]
    with pytest.raises(review.Conflict):
        test.guess("h0", 0)
    again = review.BlindTest(run)  # a new session asks only what is left, and counts what was guessed
    assert [i["id"] for i in again.state()["items"]] == ["h2"] and again.score() == {"guessed": 2, "correct": 1, "total": 3}
    for bad in (2, -1, "0", True, None):
        with pytest.raises(review.BadRequest):
            again.guess("h2", bad)


def test_blind_mode_serves_only_its_api_behind_the_same_checks(tmp_path):
    run = eval_run(tmp_path, 1)
    server = review.make_server(run, blind=review.BlindTest(run), token=TOKEN)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = review.url(server).split("/?")[0]
    try:
        assert call(url + "/api/blind", headers={"Host": "evil.example"})[0] == 403
        assert call(url + "/api/blind", headers={review.TOKEN_HEADER: "no"})[0] == 403
        assert call(url + "/api/records")[0] == 404
        status, body = call(url + "/api/blind")
        assert status == 200 and body["total"] == 1 and len(body["items"][0]["answers"]) == 2 and "author" not in json.dumps(body["items"])
        assert call(url + "/api/blind/h0", {"choice": 5})[0] == 400
        status, body = call(url + "/api/blind/h0", {"choice": 0})
        assert status == 200 and body["guessed"] == 1
        assert call(url + "/api/blind/h0", {"choice": 0})[0] == 409
        assert len((run / "blind.jsonl").read_text().splitlines()) == 1
    finally:
        server.shutdown()
        server.server_close()


def test_blind_command_without_answers_or_with_bad_ones_says_what_to_do(tmp_path):
    result = CliRunner().invoke(cli, ["review", "--blind", str(tmp_path), "--no-browser"])
    assert result.exit_code == 1 and "eval_answers.jsonl: no such file; run `train eval`" in result.output and "Traceback" not in result.output
    (tmp_path / "eval_answers.jsonl").write_text('{"id": "h0", "question": "Q?"}\n')
    result = CliRunner().invoke(cli, ["review", "--blind", str(tmp_path), "--no-browser"])
    assert result.exit_code == 1 and "eval_answers.jsonl:1: needs" in result.output


def test_stats_and_inspect_name_a_record_of_the_wrong_type_instead_of_a_traceback(tmp_path):
    from train.cli import cli as train_cli

    path = tmp_path / "interview.jsonl"
    write_records(path, [record(1)])
    path.write_text(path.read_text() + json.dumps({"id": "id2", "question": None, "answer": "A.", "source": {}}) + "\n")
    for command, group in ((["stats", str(path)], cli), (["inspect", "--data", str(path)], train_cli)):
        result = CliRunner().invoke(group, command)
        assert result.exit_code == 1 and "interview.jsonl:2: not a valid record (question must be a string, not null" in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_non_utf8_jsonl_is_one_line_from_the_commands(tmp_path):
    path = tmp_path / "interview.jsonl"
    path.write_bytes(b'{"id": "a", "question": "caf\xe9?", "answer": "A.", "source": {}}\n')
    result = CliRunner().invoke(cli, ["stats", str(path)])
    assert result.exit_code == 1 and "interview.jsonl:1: not UTF-8 text" in result.output and isinstance(result.exception, SystemExit)


def test_training_refuses_a_file_with_one_id_twice_so_no_example_is_both_trained_and_held_out(tmp_path):
    from train.data import dataset as data

    path = tmp_path / "interview.jsonl"
    write_records(path, [record(i) for i in range(1, 12)])
    path.write_text(path.read_text() + record_line(record(3, status="accepted")))
    with pytest.raises(MalformedFile, match="interview.jsonl:12: id 'id3' is already used on line 3"):
        data.load(path, tokenizer=None, system=None, max_length=512, eval_share=0.2, seed=0)


def test_a_blind_file_with_a_line_that_is_not_a_guess_is_named(tmp_path):
    run = eval_run(tmp_path, 1)
    (run / "blind.jsonl").write_text('{"id": "h0", "shown": ["author", "tuned"], "guess": "author", "correct": true}\n{"id": "h1"}\n')
    with pytest.raises(MalformedFile, match=r"blind.jsonl:2: not a guess"):
        review.BlindTest(run)


def test_a_deeply_nested_body_is_a_400_not_a_dropped_connection(served):
    path, url = served
    before = path.read_bytes()
    status, answer = call(url + "/api/records/id1", data=b"[" * 200_000)
    assert status == 400 and "nested too deeply" in answer["error"]
    assert path.read_bytes() == before


def test_an_edit_to_an_empty_or_overlong_question_is_refused(served):
    path, url = served
    version = call(url + "/api/records")[1]["version"]
    before = path.read_bytes()
    for question, fragment in (("   \n", "the question is empty"), ("Why " * 76, "at most 300")):
        status, answer = call(url + "/api/records/id1", {"status": "accepted", "question": question, "version": version})
        assert status == 400 and fragment in answer["error"], answer
        status, answer = call(url + "/api/records", {"version": version, "changes": [{"id": "id2", "status": "accepted", "question": question}]})
        assert status == 400 and fragment in answer["error"], answer
    assert path.read_bytes() == before
    long = "Why " * 80  # a question already this long (a transcript's real one) may be kept as it is
    write_records(path, [Record("id1", long, "Answer 1.", {"file": "b.pdf", "pages": "1"})])
    version = call(url + "/api/records")[1]["version"]
    assert call(url + "/api/records/id1", {"status": "accepted", "question": long, "version": version})[0] == 200


def _two_lines_of_one_id(tmp_path, earlier: Record, later_line: str):
    """interview.jsonl: `earlier` (id-a), a record id-b, then `later_line` (another line for id-a)."""
    out = tmp_path / "interview.jsonl"
    out.write_text(record_line(earlier) + record_line(Record("id-b", "Why b?", "b.", {"file": "book.pdf"})) + later_line)
    return out


def _ab():
    return [pipeline.Passage(f"id-{t}", f"{t}.", "book.pdf", 1, 1) for t in "ab"]


def test_synth_run_refuses_a_pending_copy_of_a_reviewed_record_naming_both_lines(tmp_path):
    accepted = Record("id-a", "Why a, as reviewed?", "a.", {"file": "book.pdf"}, status="accepted")
    out = _two_lines_of_one_id(tmp_path, accepted, record_line(replace(accepted, question="Why a?", status="pending")))
    before = out.read_bytes()
    with pytest.raises(MalformedFile, match=r"interview.jsonl:3: id 'id-a' is already used on line 1 \(accepted\)"):
        pipeline.synthesize(_ab(), DatasetFile(out), lambda: FakeEngine(["Why a, again?"]), Job(prompts.load("question"), model="m"))
    assert out.read_bytes() == before  # the review is still there


def test_synth_run_refuses_a_copied_line_it_did_not_write(tmp_path):
    pending = Record("id-a", "Why a?", "a.", {"file": "book.pdf"})
    compact = json.dumps(replace(pending, question="Why a, by hand?").to_dict(), separators=(",", ":")) + "\n"  # jq -c
    out = _two_lines_of_one_id(tmp_path, pending, compact)
    with pytest.raises(MalformedFile, match=r"interview.jsonl:3: id 'id-a' is already used on line 1"):
        pipeline.synthesize(_ab(), DatasetFile(out), lambda: FakeEngine(["Why a, again?"]), Job(prompts.load("question"), model="m"))


def test_a_run_killed_before_its_final_rewrite_resumes_from_the_regenerated_line(tmp_path):
    job = Job(prompts.load("question"), model="m")
    old = Record("id-a", "Why a, old settings?", "a.", {"file": "book.pdf"}, key="old")
    regenerated = replace(old, question="Why a?", key=job.turn_key([], job.context(None)))
    out = _two_lines_of_one_id(tmp_path, old, record_line(regenerated))
    records, summary = pipeline.synthesize(_ab(), DatasetFile(out), lambda: FakeEngine(["Why b, again?"]), job)
    assert [r.question for r in read_records(out)] == ["Why a?", "Why b, again?"] and summary.reused == 1


def test_lines_synth_does_not_change_keep_their_bytes_through_a_rerun_and_a_save(tmp_path):
    out = tmp_path / "interview.jsonl"
    template = prompts.load("question")
    pipeline.synthesize(_ab(), DatasetFile(out), lambda: FakeEngine(["Why a?", "Why b?"]), Job(template, model="m"))
    first, second = out.read_text().splitlines()
    by_hand = json.dumps({**json.loads(first), "question": "Was the café open?", "status": "accepted"}, separators=(",", ":"))  # jq -c, \u00e9
    out.write_text(by_hand + "\n" + second + "\n")
    pipeline.synthesize(_ab(), DatasetFile(out), lambda: FakeEngine(["Why b, again?"]), Job(template, model="other"))
    assert out.read_text().splitlines()[0] == by_hand
    file = review.ReviewFile(out)
    file.update("id-b", file.read()[1], "rejected")
    assert out.read_text().splitlines()[0] == by_hand and read_records(out)[1].status == "rejected"


def test_a_record_accepted_while_synth_regenerates_it_stays_accepted(tmp_path):
    out = tmp_path / "interview.jsonl"
    template = prompts.load("question")
    pipeline.synthesize(_ab()[:1], DatasetFile(out), lambda: FakeEngine(["Why a?"]), Job(template, model="m"))

    class AcceptMidRun(FakeEngine):
        def stream(self, conversations, sampling):
            file = review.ReviewFile(out)  # the page accepts id-a while the run asks for it again
            file.update("id-a", file.read()[1], "accepted")
            yield from super().stream(conversations, sampling)

    pipeline.synthesize(_ab(), DatasetFile(out), lambda: AcceptMidRun(["Why a, again?", "Why b?"]), Job(template, model="other"))
    assert [(r.id, r.question, r.status) for r in read_records(out)] == [("id-a", "Why a?", "accepted"), ("id-b", "Why b?", "pending")]


PASSAGE = ("To Sherlock Holmes she is always the woman. I have seldom heard him mention her under any other name. "
           "In his eyes she eclipses and predominates the whole of her sex. It was not that he felt any emotion akin to love.")


@pytest.mark.parametrize("passage, answer, shown", [
    (PASSAGE, "I am not at home.", ("To Sherlock Holmes she is always the woman.", "I am not at home.")),  # the passage cut
    ("I did. Then I left.", PASSAGE, ("I did. Then I left.", "To Sherlock Holmes she is always the woman.")),  # the answer cut
    ("I did. Then I left.", "Dr. Watson said so! And Mr. Holmes agreed, \u201cquite.\u201d Then more words followed.",
     ("I did. Then I left.", "Dr. Watson said so!")),  # "Dr." is no sentence end
    (PASSAGE, "Dr. Watson said so! And Mr. Holmes agreed, \u201cquite.\u201d Then more words followed.",  # nearest end: 101 for 82
     (PASSAGE[:PASSAGE.index(" In his")], "Dr. Watson said so! And Mr. Holmes agreed, \u201cquite.\u201d Then more words followed.")),
    ("  No sentence end at all  ", "Yes.", ("No sentence end at all", "Yes.")),  # nothing to cut at: kept whole
])
def test_the_blind_test_cuts_both_sides_to_a_comparable_length_at_a_sentence_end(passage, answer, shown):
    assert review.comparable(passage, answer) == shown


def test_the_blind_page_shows_the_cut_texts(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "eval_answers.jsonl").write_text(json.dumps({"id": "h0", "question": "Who?", "passage": PASSAGE, "tuned": "I am not at home."}) + "\n")
    item = review.BlindTest(run).state()["items"][0]
    assert sorted(item["answers"]) == ["I am not at home.", "To Sherlock Holmes she is always the woman."]
