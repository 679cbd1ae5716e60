"""The trainer's data: conversations as examples, cut at the first unusable turn, split by
conversation, messages JSONL from other tools, and one-line errors for what cannot be read."""

import json

import pytest

from voicetune.records import MalformedFile

from voicetune.records import Record, record_line
from tests.test_chatml import CharTokenizer
from train.data import dataset as data
from voicetune.conversations import DataError
from train.data.chatml import IGNORE, to_messages, tokenize


def rec(id, q="Why?", a="Because.", status="pending", conversation=None, position=1):
    return Record(id=id, question=q, answer=a, source={}, status=status, conversation=conversation, position=position)


def write(path, records):
    path.write_text("".join(record_line(r) for r in records))
    return path


def interview(cid, n, **kw):
    return [rec(f"{cid}.{k}", q=f"Q{cid}{k}?", a=f"A{cid}{k}.", conversation=cid, position=k, **kw) for k in range(1, n + 1)]


def load(path, **kw):
    return data.load(path, CharTokenizer(), system="S", max_length=kw.pop("max_length", 10_000), eval_share=kw.pop("eval_share", 0.5), seed=0, **kw)


def trained_text(example):
    return "".join(chr(t) if t > 2 else "|" for t, label in zip(example.input_ids, example.labels) if label != IGNORE)


def test_a_conversation_is_one_example_with_every_answer_trained(tmp_path):
    path = write(tmp_path / "i.jsonl", interview("c", 3) + interview("d", 2))
    dataset = load(path)
    examples = {e.id: e for e in dataset.train + dataset.eval}
    assert set(examples) == {"c", "d"}
    assert trained_text(examples["c"]) == "Ac1.|Ac2.|Ac3.|"
    prompt = "".join(chr(t) for t, label in zip(examples["c"].input_ids, examples["c"].labels) if label == IGNORE and t > 2)
    assert "Qc1?" in prompt and "Qc3?" in prompt and "Ac1." not in prompt


def test_turns_after_a_rejected_one_are_left_out(tmp_path):
    turns = interview("c", 3)
    turns[1] = rec("c.2", q="Qc2?", a="Ac2.", status="rejected", conversation="c", position=2)
    path = write(tmp_path / "i.jsonl", turns + interview("d", 1))
    dataset = load(path)
    example = next(e for e in dataset.train + dataset.eval if e.id == "c")
    assert trained_text(example) == "Ac1.|"  # c.3 presupposes the rejected c.2
    assert dataset.excluded == 2


def test_only_reviewed_stops_at_the_first_turn_not_accepted_or_edited(tmp_path):
    turns = interview("c", 3, status="accepted")
    turns[2] = rec("c.3", q="Qc3?", a="Ac3.", status="pending", conversation="c", position=3)
    path = write(tmp_path / "i.jsonl", turns + interview("d", 1, status="edited"))
    dataset = load(path, only_reviewed=True)
    example = next(e for e in dataset.train + dataset.eval if e.id == "c")
    assert trained_text(example) == "Ac1.|Ac2.|" and dataset.excluded == 1
    assert dataset.statuses == {"accepted": 2, "edited": 1}


def test_an_empty_question_ends_the_conversation_there(tmp_path):
    turns = interview("c", 3)
    turns[1] = rec("c.2", q="", a="Ac2.", conversation="c", position=2)
    dataset = load(write(tmp_path / "i.jsonl", turns + interview("d", 1)))
    assert trained_text(next(e for e in dataset.train + dataset.eval if e.id == "c")) == "Ac1.|"
    assert dataset.skipped_no_question == 2


def test_the_split_is_by_conversation_and_no_id_is_on_both_sides(tmp_path):
    records = [r for c in range(30) for r in interview(f"c{c}", 1 + c % 3)] + [rec(f"s{i}") for i in range(20)]
    dataset = load(write(tmp_path / "i.jsonl", records), eval_share=0.2)
    train_ids, eval_ids = {e.id for e in dataset.train}, {e.id for e in dataset.eval}
    assert not train_ids & eval_ids and len(train_ids | eval_ids) == 50
    held = {r.id for r in dataset.held_out}
    for c in range(30):  # every turn of a held-out conversation is held out, none of a trained one
        turns = {f"c{c}.{k}" for k in range(1, 2 + c % 3)}
        assert turns <= held if f"c{c}" in eval_ids else not turns & held


def test_the_split_does_not_depend_on_the_tokenizer_or_max_length(tmp_path):
    path = write(tmp_path / "i.jsonl", [rec(f"r{i}", a="x" * (10 + 40 * (i % 2))) for i in range(40)])
    wide = load(path, eval_share=0.25)
    narrow = load(path, eval_share=0.25, max_length=70)  # the long answers no longer fit
    assert {e.id for e in narrow.eval} <= {e.id for e in wide.eval}
    assert {e.id for e in narrow.train} <= {e.id for e in wide.train} and narrow.dropped_too_long > 0


def test_duplicate_ids_are_refused(tmp_path):
    path = write(tmp_path / "i.jsonl", [rec("a"), rec("b"), rec("a", q="Again?")])
    with pytest.raises(MalformedFile, match="i.jsonl:3: id 'a' is already used on line 1"):
        load(path)


def test_single_turn_files_tokenize_as_before(tmp_path):
    dataset = load(write(tmp_path / "i.jsonl", [rec("a", "Why?", "So."), rec("b", "How?", "Thus.")]))
    by_id = {e.id: e for e in dataset.train + dataset.eval}
    assert by_id["a"] == tokenize("a", to_messages("Why?", "So.", "S"), CharTokenizer())


def test_messages_jsonl_from_other_tools_is_read(tmp_path):
    lines = [
        {"messages": [{"role": "user", "content": "Q1?"}, {"role": "assistant", "content": "A1."}]},
        {"messages": [{"role": "system", "content": "Own."}, {"role": "user", "content": "Q2?"}, {"role": "assistant", "content": "A2."},
                      {"role": "user", "content": "Q3?"}, {"role": "assistant", "content": "A3."}]},
    ]
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    dataset = load(path)
    by_id = {e.id: e for e in dataset.train + dataset.eval}
    assert by_id["m-1"] == tokenize("m-1", to_messages("Q1?", "A1.", "S"), CharTokenizer())  # no system of its own: the trainer's
    assert trained_text(by_id["m-2"]) == "A2.|A3.|" and "Own." in "".join(chr(t) for t in by_id["m-2"].input_ids if t > 2)


@pytest.mark.parametrize("line, fragment", [
    ({"messages": [{"role": "assistant", "content": "A."}, {"role": "user", "content": "Q?"}]}, "roles assistant user"),
    ({"messages": [{"role": "user", "content": "Q?"}]}, "ending with the assistant"),
    ({"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "A."}]}, "'role': str"),
    ({"messages": []}, "non-empty list"),
])
def test_a_bad_messages_line_is_an_error_naming_it(tmp_path, line, fragment):
    good = {"messages": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}]}
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(line) + "\n")
    with pytest.raises(DataError, match="m.jsonl:2: not a messages conversation") as e:
        load(path)
    assert fragment in str(e.value)


def test_a_folder_or_non_utf8_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        load(tmp_path)
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(record_line(rec("a", a="caf\u00e9")).encode("latin-1"))
    with pytest.raises(MalformedFile, match="latin.jsonl:1: not UTF-8"):
        load(latin)


def test_other_formats_are_named_in_a_clear_error(tmp_path):
    alpaca = tmp_path / "alpaca.jsonl"
    alpaca.write_text(json.dumps({"instruction": "Why?", "output": "So."}) + "\n")
    with pytest.raises(DataError, match="neither an interview file .* nor messages JSONL.*instruction, output"):
        load(alpaca)
    sharegpt = tmp_path / "sharegpt.json"
    sharegpt.write_text(json.dumps([{"conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": "A."}]}], indent=1))
    with pytest.raises(DataError, match="a JSON array, not JSON Lines"):
        load(sharegpt)
