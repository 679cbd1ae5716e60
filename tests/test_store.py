import json

import pytest

from synth import store
from synth.records import MalformedFile, Record, record_line


def record(i):
    return Record(f"id{i}", f"Q{i}?", f"A{i}.", {"file": "b.pdf"})


def test_torn_last_line_is_dropped_and_appending_continues(tmp_path):
    path = tmp_path / "interview.jsonl"
    whole = record_line(record(0))
    path.write_text(whole + '{"id": "id1", "quest')  # killed mid-write
    assert store.load(path) == [record(0)]
    assert path.read_text() == whole
    with store.Appender(path) as appender:
        appender.add([record(1)])
        assert len(path.read_text().splitlines()) == 2  # flushed at once, before close
    assert store.load(path) == [record(0), record(1)]


def test_a_bad_line_inside_the_file_is_a_hand_edit_error_not_a_guess(tmp_path):
    path = tmp_path / "interview.jsonl"
    original = record_line(record(0)) + "{oops\n" + record_line(record(1))
    path.write_text(original)
    with pytest.raises(MalformedFile, match=r"interview.jsonl:2: .*\{oops"):
        store.load(path)
    assert path.read_text() == original


def test_missing_file_is_empty(tmp_path):
    assert store.load(tmp_path / "none.jsonl") == []
