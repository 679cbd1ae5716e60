import json

import pytest

from voicetune.dataset import DatasetFile
from voicetune.records import MalformedFile, Record, record_line


def record(i):
    return Record(f"id{i}", f"Q{i}?", f"A{i}.", {"file": "b.pdf"})


def test_torn_last_line_is_dropped_and_appending_continues(tmp_path):
    path = tmp_path / "interview.jsonl"
    whole = record_line(record(0))
    path.write_text(whole + '{"id": "id1", "quest')  # killed mid-write
    assert DatasetFile(path).load() == [record(0)]
    assert path.read_text() == whole
    with DatasetFile(path).appender() as appender:
        appender.add([record(1)])
        assert len(path.read_text().splitlines()) == 2  # flushed at once, before close
    assert DatasetFile(path).load() == [record(0), record(1)]


def test_a_bad_line_inside_the_file_is_a_hand_edit_error_not_a_guess(tmp_path):
    path = tmp_path / "interview.jsonl"
    original = record_line(record(0)) + "{oops\n" + record_line(record(1))
    path.write_text(original)
    with pytest.raises(MalformedFile, match=r"interview.jsonl:2: .*\{oops"):
        DatasetFile(path).load()
    assert path.read_text() == original


def test_missing_file_is_empty(tmp_path):
    assert DatasetFile(tmp_path / "none.jsonl").load() == []


def test_a_whole_last_line_without_a_final_newline_is_kept_and_appending_starts_a_new_line(tmp_path):
    """Editors save without a final newline: that line is a reviewed record, not a torn write."""
    path = tmp_path / "interview.jsonl"
    accepted = Record("id0", "Q0?", "A0.", {"file": "b.pdf"}, status="accepted")
    path.write_text(record_line(accepted).rstrip("\n"))
    assert DatasetFile(path).load() == [accepted]
    with DatasetFile(path).appender() as appender:
        appender.add([record(1)])
    assert DatasetFile(path).load() == [accepted, record(1)]


def test_a_torn_tail_that_is_not_utf8_is_dropped(tmp_path):
    path = tmp_path / "interview.jsonl"
    path.write_bytes(record_line(record(0)).encode() + '{"id": "id1", "question": "caf\u00e9'.encode()[:-1])  # cut inside a character
    assert DatasetFile(path).load() == [record(0)]


APPENDER = """
import sys
from pathlib import Path
from voicetune.dataset import DatasetFile
from voicetune.records import Record
path = Path(sys.argv[1])
with DatasetFile(path).appender() as appender:
    for line in sys.stdin:
        i = int(line)
        appender.add([Record(f"new{i}", f"Q{i}?", f"A{i}.", {"file": "b.pdf"})])
        print(i, flush=True)
"""


def appender_process(path):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", APPENDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)


def test_review_saves_between_a_runs_appends_lose_no_record(tmp_path):
    """A synth run (another process) appends while the review page replaces the file between its
    appends: every record the run reported written is in the file, and every review too."""
    from synth.dataset.review import ReviewFile

    path = tmp_path / "interview.jsonl"
    DatasetFile(path).appender().__exit__()  # the run created the file
    run = appender_process(path)
    page = ReviewFile(path)
    try:
        for i in range(4):
            run.stdin.write(f"{i}\n")
            assert run.stdout.readline() == f"{i}\n"  # the run says record i is written
            page.update(f"new{i}", page.read()[1], "accepted")  # the page replaces the file
    finally:
        run.stdin.close()
        assert run.wait(timeout=60) == 0
    assert [(r.id, r.status) for r in DatasetFile(path).load()] == [(f"new{i}", "accepted") for i in range(4)]


def test_an_append_waits_while_a_rewrite_holds_the_lock_then_lands_in_the_new_file(tmp_path):
    import select

    from voicetune.records import write_records

    path = tmp_path / "interview.jsonl"
    write_records(path, [record(0)])
    run = appender_process(path)
    try:
        with DatasetFile(path).locked():
            run.stdin.write("1\n")
            ready, _, _ = select.select([run.stdout], [], [], 1.0)
            assert not ready, "the appender wrote while a rewrite held the lock"
            write_records(path, [record(0), record(5)])  # the rewrite replaces the file
        assert run.stdout.readline() == "1\n"
    finally:
        run.stdin.close()
        assert run.wait(timeout=60) == 0
    assert [r.id for r in DatasetFile(path).load()] == ["id0", "id5", "new1"]



def test_the_lock_excludes_threads_that_share_one_file_object(tmp_path):
    """The review server's threads share one DatasetFile: one thread's hold must keep out the
    others (filelock's lock is re-entrant, so this holds only while it is thread-local)."""
    import threading
    import time

    dataset = DatasetFile(tmp_path / "interview.jsonl")
    inside, most = [], []

    def hold():
        with dataset.locked():
            inside.append(1)
            most.append(len(inside))
            time.sleep(0.05)
            inside.pop()

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert most == [1, 1, 1, 1]
    with dataset.locked(), dataset.locked():  # within one thread it nests
        pass

REJECTING_RUN = """
import sys, time
from pathlib import Path
from synth import pipeline
from voicetune import prompts
from voicetune.dataset import DatasetFile
from voicetune.engine import Generation
from synth.generation.job import Job

class Stalls:
    model = "fake"
    def stream(self, conversations, sampling):
        yield 0, Generation("Not a question at all.", 5, True)  # rejected
        print("rejected", flush=True)
        time.sleep(600)  # the run is killed here
        yield 1, Generation("Why b?", 5, True)

passages = [pipeline.Passage(f"id-{t}", f"{t}.", "book.pdf", 1, 1) for t in "ab"]
pipeline.synthesize(passages, DatasetFile(Path(sys.argv[1])), lambda: Stalls(), Job(prompts.load("question"), model="m"))
"""


def test_rejected_replies_are_on_disk_before_the_run_ends(tmp_path):
    """kill -9 mid-run: the rejects file already holds the reply rejected before."""
    import signal
    import subprocess
    import sys

    out = tmp_path / "interview.jsonl"
    run = subprocess.Popen([sys.executable, "-c", REJECTING_RUN, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline() == "rejected\n"
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
    rejects = [json.loads(line) for line in (tmp_path / "interview.rejects.jsonl").read_text().splitlines()]
    assert [(r["id"], r["reply"]) for r in rejects] == [("id-a", "Not a question at all.")]
