import json
import os
import time

import pytest

from voicetune import models
from voicetune import records as jsonl
from voicetune.records import InvalidRecord, MalformedFile, Record, read_records, record_line, write_records
from synth.document import passage_id
from train.pipeline import latest_synth_output


def test_jsonl_keeps_reading_order_and_round_trips(tmp_path):
    record = Record("id1", "Why?", "Because.", {"file": "kc.pdf", "pages": "3-4"}, flags=["x"])
    path = tmp_path / "out" / "interview.jsonl"
    assert write_records(path, [record]) == 1
    assert list(json.loads(path.read_text()))[:4] == ["id", "question", "answer", "source"]
    assert read_records(path) == [record]
    assert not list(tmp_path.glob("out/*.tmp"))


def test_malformed_line_is_reported_with_its_number(tmp_path):
    path = tmp_path / "interview.jsonl"
    path.write_text('{"id": "a", "question": "q", "answer": "a", "source": {}}\n\n{"id": \n')
    with pytest.raises(MalformedFile, match=r"interview.jsonl:3: .*\{\"id\":"):
        read_records(path)


def test_passage_id_is_stable_across_runs_and_depends_on_source_and_text():
    """Golden values: an id that changed between versions would orphan every reviewed record."""
    assert passage_id("kc.pdf", "text") == "86c9c48cd38260d2"
    assert (passage_id("kc.pdf", "text!"), passage_id("other.pdf", "text")) == ("f4fac86dbe537b0c", "4483a35d438edd0f")


GOOD = {"id": "a", "question": "Why?", "answer": "Because.", "source": {"file": "b.pdf"}}


@pytest.mark.parametrize("change, field", [
    ({"question": None}, "question"), ({"question": 123}, "question"), ({"question": ["Why?"]}, "question"),
    ({"answer": {"text": "x"}}, "answer"), ({"answer": True}, "answer"), ({"id": ""}, "id"), ({"id": 7}, "id"),
    ({"source": "b.pdf"}, "source"), ({"status": "done"}, "status"), ({"flags": None}, "flags"), ({"flags": "empty"}, "flags"),
    ({"flags": [1]}, "flags"), ({"alternatives": "Why?"}, "alternatives"), ({"alternatives": [None]}, "alternatives"), ({"chapter": 3}, "chapter"), ({"original": {"question": "Q"}}, "original"),
    ({"position": 0}, "position"), ({"position": "2"}, "position"), ({"position": True}, "position"),
    ({"specificity": 2.0}, "specificity"), ({"conversation": 5}, "conversation"),
])
def test_a_record_of_the_wrong_types_is_an_error_naming_its_line_and_field(tmp_path, change, field):
    path = tmp_path / "interview.jsonl"
    path.write_text(record_line(Record.from_dict(GOOD)) + json.dumps({**GOOD, "id": "b", **change}) + "\n")
    with pytest.raises(MalformedFile, match=rf"interview.jsonl:2: not a valid record \({field} must be"):
        read_records(path)
    with pytest.raises(InvalidRecord, match=f"{field} must be"):  # and on save: no such record can be made
        Record.from_dict({**GOOD, **change})


def test_a_missing_key_or_a_line_that_is_not_an_object_names_its_line(tmp_path):
    path = tmp_path / "interview.jsonl"
    for line, reason in [('{"id": "a", "question": "Q?"}', "missing 'answer', 'source'"), ("[1, 2]", "a record is a JSON object, not list"), ("null", "not null")]:
        path.write_text(line + "\n")
        with pytest.raises(MalformedFile, match=rf"interview.jsonl:1: .*{reason}"):
            read_records(path)


def test_keys_that_are_not_fields_survive_a_rewrite_in_their_order(tmp_path):
    path = tmp_path / "interview.jsonl"
    path.write_text(json.dumps({**GOOD, "note": "check the date", "reviewer": "ann"}) + "\n")
    records = read_records(path)
    assert records[0].extra == {"note": "check the date", "reviewer": "ann"}
    write_records(path, [records[0]])
    assert list(json.loads(path.read_text()))[-2:] == ["note", "reviewer"]
    assert read_records(path) == records


def test_duplicate_ids_are_refused_naming_both_lines_and_never_written(tmp_path):
    path = tmp_path / "interview.jsonl"
    other = {**GOOD, "id": "b"}
    path.write_text("".join(json.dumps(r) + "\n" for r in (GOOD, other, {**GOOD, "status": "rejected"})))
    with pytest.raises(MalformedFile, match="interview.jsonl:3: id 'a' is already used on line 1"):
        read_records(path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="two records have the id 'a'"):
        write_records(path, [Record.from_dict(GOOD), Record.from_dict(other), Record.from_dict(GOOD)])
    assert path.read_bytes() == before and not list(tmp_path.glob("*.tmp"))


def test_line_separators_in_text_stay_inside_their_record(tmp_path):
    """U+2028, U+2029 and U+0085 are line breaks to str.splitlines: written escaped, read as text."""
    path = tmp_path / "interview.jsonl"
    record = Record("a", "Why\u2028 this?", "One\u2029two\x85three.", {"file": "b.pdf"})
    write_records(path, [record, Record("b", "Q?", "A.", {})])
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2
    assert read_records(path)[0] == record
    path.write_bytes(json.dumps({**GOOD, "answer": "raw\u2028inside"}, ensure_ascii=False).encode() + b"\n")  # as another tool may write it
    assert read_records(path)[0].answer == "raw\u2028inside"


def test_a_file_that_is_not_utf8_is_an_error_naming_its_line(tmp_path):
    path = tmp_path / "interview.jsonl"
    path.write_bytes(record_line(Record.from_dict(GOOD)).encode() + json.dumps({**GOOD, "id": "b", "answer": "caf\u00e9"}, ensure_ascii=False).encode("latin-1") + b"\n")
    with pytest.raises(MalformedFile, match="interview.jsonl:2: not UTF-8 text"):
        read_records(path)


def test_two_rewrites_at_once_each_leave_a_whole_file(tmp_path):
    """Synth's final rewrite and a review save overlapping: each has a temporary file of its own,
    so neither moves the other's half-written file into place or fails to find its own."""
    path = tmp_path / "interview.jsonl"
    inner = [Record("x", "Q?", "A.", {})]

    def outer():
        yield Record("a", "Q?", "A.", {})
        write_records(path, inner)  # the other writer, while this one has written half its file
        yield Record("b", "Q?", "A.", {})

    write_records(path, outer())
    assert [r.id for r in read_records(path)] == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interview.jsonl"]  # no temporary file left


def test_jsonl_helpers_append_flushed_and_rewrite_any_values(tmp_path):
    path = tmp_path / "guesses.jsonl"
    with jsonl.JsonlAppender(path) as append:
        append({"id": "a", "guess": "author"})
        assert jsonl.read_jsonl(path) == [{"id": "a", "guess": "author"}]  # on disk before close
    assert jsonl.append_jsonl(path, [{"id": "b"}]) == 1
    assert jsonl.write_jsonl(path, [{"id": "c"}]) == 1 and jsonl.read_jsonl(path) == [{"id": "c"}]


def test_latest_synth_output_is_the_newest(tmp_path):
    assert latest_synth_output(tmp_path) is None
    old, new = tmp_path / "a" / "interview.jsonl", tmp_path / "b" / "interview.jsonl"
    for path in (new, old):
        path.parent.mkdir()
        path.write_text("")
    os.utime(old, (time.time() - 100, time.time() - 100))
    assert latest_synth_output(tmp_path) == new


def test_model_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICETUNE_CACHE", str(tmp_path / "cache"))
    assert models.cache_dir() == tmp_path / "cache"
    assert models.resolve("Qwen/Qwen2.5-7B-Instruct") == "Qwen/Qwen2.5-7B-Instruct"
    with pytest.raises(models.ModelNotFound, match="config.json"):
        models.resolve(str(tmp_path))
    with pytest.raises(models.ModelNotFound, match="no model folder"):
        models.resolve("./missing")


def test_embedded_model_folder_loads_with_chatml(embedded_model):
    from transformers import AutoConfig, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(embedded_model)
    assert tokenizer.eos_token == "<|im_end|>"
    assert "<|im_start|>assistant" in tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    config = AutoConfig.from_pretrained(embedded_model)
    assert config.eos_token_id == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert not hasattr(config, "quantization_config")
    assert str(config.dtype).endswith("bfloat16")


def test_models_run_in_bf16_only_where_the_hardware_computes_in_it(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(models, "_cpu_has_bf16", lambda: False)
    assert models.compute_dtype() == torch.float32 and models.dtype_name(models.compute_dtype()) == "float32"
    monkeypatch.setattr(models, "_cpu_has_bf16", lambda: True)
    assert models.compute_dtype() == torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)  # a T4
    assert models.compute_dtype() == torch.float16


@pytest.mark.skipif(not os.path.exists("/proc/cpuinfo"), reason="reads the CPU flags from /proc/cpuinfo")
def test_bf16_detection_agrees_with_the_cpu_flags():
    flags = set(open("/proc/cpuinfo").read().split())
    assert models._cpu_has_bf16() == bool({"avx512_bf16", "amx_bf16"} & flags)


def test_a_file_saved_with_windows_line_ends_and_a_bom_reads_as_written(tmp_path):
    path = tmp_path / "interview.jsonl"
    line = json.dumps(GOOD)
    path.write_bytes(b"\xef\xbb\xbf" + f"{line}\r\n\r\n{json.dumps({**GOOD, 'id': 'b'})}\r\n".encode())
    assert [r.id for r in read_records(path)] == ["a", "b"]
