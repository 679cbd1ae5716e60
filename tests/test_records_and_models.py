import json
import os
import time

import pytest

from synth import models
from synth.records import MalformedFile, Record, passage_id, read_records, write_records
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


def test_passage_id_is_stable_and_depends_on_source_and_text():
    assert passage_id("kc.pdf", "text") == passage_id("kc.pdf", "text")
    assert len({passage_id("kc.pdf", "text"), passage_id("kc.pdf", "text!"), passage_id("other.pdf", "text")}) == 3


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
