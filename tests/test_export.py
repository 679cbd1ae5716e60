"""synth export: what train run trains on, in the formats other tools read, and back again."""

import json

import pytest
from click.testing import CliRunner

from synth.dataset import export
from synth.cli import cli as synth_cli
from voicetune.records import Record, record_line
from tests.test_cli import assert_user_error
from train.data import dataset as data
from voicetune.conversations import system_message
from train.config import TrainConfig

SYSTEM = system_message(TrainConfig.system_prompt, TrainConfig.persona)


def records():
    turns = [Record(id=f"c{c}.{k}", question=f"Why, {c} {k}?", answer=f"Because {c} {k}, at sea.", source={},
                    conversation=f"c{c}", position=k, status="accepted") for c in range(12) for k in (1, 2, 3)]
    turns[4] = Record(id="c1.2", question="Rejected?", answer="Rejected turn.", source={}, conversation="c1", position=2, status="rejected")
    singles = [Record(id=f"s{i}", question=f"And {i}?", answer=f"Then {i}.", source={}) for i in range(20)]
    singles[3] = Record(id="s3", question="Bad?", answer="Nobody's words.", source={}, status="rejected")
    return turns + singles


@pytest.fixture
def interview(tmp_path):
    path = tmp_path / "interview.jsonl"
    path.write_text("".join(record_line(r) for r in records()))
    return path


def test_messages_export_leaves_out_rejected_and_keeps_conversations(interview):
    done = export.export(interview, "messages", interview.with_name("m.jsonl"), system=SYSTEM)
    rows = [json.loads(line) for line in done.path.read_text().splitlines()]
    by_id = {r["id"]: r["messages"] for r in rows}
    assert len(rows) == done.conversations == 12 + 19 and "s3" not in by_id
    assert [m["role"] for m in by_id["c0"]] == ["system"] + ["user", "assistant"] * 3
    assert by_id["c0"][0]["content"] == SYSTEM and by_id["c0"][6]["content"] == "Because 0 3, at sea."
    assert [m["content"] for m in by_id["c1"][1:]] == ["Why, 1 1?", "Because 1 1, at sea."]  # cut before the rejected turn
    assert "Nobody's words." not in done.path.read_text() and "Rejected turn." not in done.path.read_text()


def test_sharegpt_export(interview):
    done = export.export(interview, "sharegpt", interview.with_name("s.json"), system=SYSTEM)
    rows = json.loads(done.path.read_text())
    first = next(r for r in rows if r["id"] == "c0")["conversations"]
    assert [m["from"] for m in first] == ["system", "human", "gpt", "human", "gpt", "human", "gpt"]
    assert first[2]["value"] == "Because 0 1, at sea."


def test_round_trip_through_datasets_trains_on_identical_examples(interview, tmp_path, tokenizer):
    from datasets import load_dataset

    exported = export.export(interview, "messages", tmp_path / "m.jsonl", system=SYSTEM).path
    loaded = load_dataset("json", data_files=str(exported), split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert loaded.num_rows == 31 and loaded.column_names == ["id", "messages"]
    loaded.to_json(str(tmp_path / "via_datasets.jsonl"), lines=True, force_ascii=False)

    def examples(path):
        split = data.load(path, tokenizer, system=SYSTEM, max_length=1024, eval_share=0.1, seed=42)
        return split.train, split.eval

    original = examples(interview)
    assert examples(tmp_path / "via_datasets.jsonl") == original and examples(exported) == original
    assert sum(len(side) for side in original) == 31


def test_hf_folder_is_split_as_train_run_splits(interview, tmp_path, tokenizer):
    from datasets import load_from_disk

    done = export.export(interview, "hf", tmp_path / "hf", system=SYSTEM, eval_share=0.2, seed=7)
    folder = load_from_disk(str(done.path))
    split = data.load(interview, tokenizer, system=SYSTEM, max_length=1024, eval_share=0.2, seed=7)
    assert folder["train"]["id"] == [e.id for e in split.train] and folder["test"]["id"] == [e.id for e in split.eval]
    assert done.held_out == len(split.eval) == 6 and not set(folder["train"]["id"]) & set(folder["test"]["id"])


def test_export_cli_writes_next_to_the_file_and_refuses_a_folder_as_out(interview, tmp_path):
    result = CliRunner().invoke(synth_cli, ["export", str(interview)])
    assert result.exit_code == 0, result.output
    assert "Wrote 31 conversations, 53 turns, to" in result.output and (tmp_path / "interview.messages.jsonl").is_file()
    assert_user_error(CliRunner().invoke(synth_cli, ["export", str(interview), "--out", str(tmp_path)]), "is a folder")
    assert_user_error(CliRunner().invoke(synth_cli, ["export", str(interview), "--format", "hf", "--out", str(interview)]), "is a file")


@pytest.mark.engine
def test_a_short_real_training_on_the_exported_file(interview, tmp_path, embedded_model):
    from train.cli import cli as train_cli

    exported = export.export(interview, "messages", tmp_path / "m.jsonl", system=SYSTEM).path
    result = CliRunner().invoke(train_cli, ["run", "--data", str(exported), "--out", str(tmp_path / "run"), "--max-steps", "2",
                                            "--batch-size", "4", "--max-length", "256", "--no-eval"])
    assert "training on 26 conversations, holding out 5; by review status: 53 accepted" in result.output, result.output
    assert (tmp_path / "run" / "merged" / "config.json").is_file() and (tmp_path / "run" / "heldout.jsonl").is_file()
