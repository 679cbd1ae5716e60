import json
from dataclasses import asdict

import pytest

from synth import store
from synth.records import MalformedFile, Record


def record(i):
    return Record(f"id{i}", f"Q{i}?", f"A{i}.", {"file": "b.pdf"})


def test_torn_last_line_is_dropped_and_appending_continues(tmp_path):
    path = tmp_path / "interview.jsonl"
    whole = json.dumps(asdict(record(0))) + "\n"
    path.write_text(whole + '{"id": "id1", "quest')  # killed mid-write
    assert store.load(path) == [record(0)]
    assert path.read_text() == whole
    with store.Appender(path) as appender:
        appender.add([record(1)])
        assert len(path.read_text().splitlines()) == 2  # flushed at once, before close
    assert store.load(path) == [record(0), record(1)]


def test_a_bad_line_inside_the_file_is_a_hand_edit_error_not_a_guess(tmp_path):
    path = tmp_path / "interview.jsonl"
    original = json.dumps(asdict(record(0))) + "\n{oops\n" + json.dumps(asdict(record(1))) + "\n"
    path.write_text(original)
    with pytest.raises(MalformedFile, match=r"interview.jsonl:2: .*\{oops"):
        store.load(path)
    assert path.read_text() == original


def test_missing_file_is_empty(tmp_path):
    assert store.load(tmp_path / "none.jsonl") == []
