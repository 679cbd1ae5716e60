"""Preference pairs: `synth pairs` (the base model's answer to each usable turn's SFT prompt),
the pair reader training uses, the review page's view of them, and `synth export --format preference`."""

import json
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from synth import synthesis
from synth.cli import cli as synth_cli
from synth.dataset import export
from synth.dataset.review import pair_view
from synth.generation import pairs as pair_data
from synth.generation.backend import Backend
from tests.test_cli import assert_user_error
from train.data import chatml
from voicetune import conversations
from voicetune.conversations import system_message
from voicetune.engine import Generation, answer_sampling
from voicetune.records import Record, record_line

SYSTEM = system_message("system", "the author")  # train run's default system message


class Echo:
    """A fake engine: answers "base: <the last question>", and keeps every batch it was given."""

    model = "fake"

    def __init__(self):
        self.batches = []

    def stream(self, convs, sampling):
        self.batches.append(list(convs))
        for i, conv in reversed(list(enumerate(convs))):  # in any order, as vLLM finishes them
            yield i, Generation(f"base: {conv[-1]['content']}", 7, not conv[-1]["content"].startswith("Long"))


def records():
    return [
        Record(id="a", question="Why the sea?", answer="Because my father sailed.", source={}),
        Record(id="b1", question="Where did it start?", answer="In Kellhaven.", source={}, conversation="b1", position=1),
        Record(id="b2", question="Long before that?", answer="My grandmother.", source={}, conversation="b1", position=2),
        Record(id="c", question="Rejected?", answer="Nobody's words.", source={}, status="rejected"),
        Record(id="d", question="", answer="No question yet.", source={}, flags=["no_question"]),
    ]


@pytest.fixture
def interview(tmp_path):
    path = tmp_path / "interview.jsonl"
    path.write_text("".join(record_line(r) for r in records()))
    return path


def make(path, engine=None, system=SYSTEM):
    engine = engine or Echo()
    return pair_data.make(path, lambda: engine, "base-model", answer_sampling(), system=system), engine


def sidecar_lines(path):
    return [json.loads(line) for line in path.with_name("interview.pairs.jsonl").read_text().splitlines()]


def test_every_usable_turn_gets_the_base_models_answer_to_its_sft_prompt_in_one_batch(interview):
    summary, engine = make(interview)
    assert (summary.turns, summary.generated, summary.reused, summary.unfinished) == (3, 3, 0, 1)
    assert len(engine.batches) == 1  # one batch: a rejected record and one without a question get none
    assert [m["content"] for m in engine.batches[0][2]] == [SYSTEM, "Where did it start?", "In Kellhaven.", "Long before that?"]
    found = conversations.pairs(interview)
    assert [(p.id, p.chosen, p.rejected) for p in found] == [
        ("a", "Because my father sailed.", "base: Why the sea?"),
        ("b1", "In Kellhaven.", "base: Where did it start?"),
        ("b2", "My grandmother.", "base: Long before that?"),
    ]
    # the prompt the answer was generated for is the pair's prompt: the SFT conversation minus its last answer
    assert found[2].prompt(SYSTEM) == engine.batches[0][2]
    assert found[2].prompt(SYSTEM) == conversations.Conversation("b1", tuple(records()[1:3])).messages(SYSTEM)[:-1]
    lines = sidecar_lines(interview)
    assert [(line["id"], line["stopped"]) for line in lines] == [("b2", False), ("b1", True), ("a", True)]  # appended as they finish
    assert {line["model"] for line in lines} == {"base-model"}
    assert lines[0]["sampling"]["temperature"] == 0.0 and lines[0]["sampling"]["max_tokens"] == 256


def test_a_rerun_reuses_current_pairs_and_never_starts_the_engine(interview):
    make(interview)
    summary = pair_data.make(interview, lambda: pytest.fail("the engine started"), "base-model", answer_sampling(), system=SYSTEM)
    assert (summary.generated, summary.reused) == (0, 3)
    # another model, another token limit or another system message is another prompt or setting: made again
    assert make(interview, system="You are Sherlock Holmes.")[0].generated == 3
    assert pair_data.make(interview, lambda: Echo(), "base-model", answer_sampling(max_tokens=512), system=SYSTEM).generated == 3
    assert len(sidecar_lines(interview)) == 3  # superseded lines compacted away
    assert len(conversations.pairs(interview)) == 3  # current: made for these prompts (with their own settings)
    assert conversations.pairs(interview, system="You are Sherlock Holmes.") == []  # another prompt


def edit(path, record_id, **changes):
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps({**r, **changes} if r["id"] == record_id else r) + "\n" for r in lines))


def test_rejecting_a_record_drops_its_pair_and_editing_its_question_makes_it_stale(interview):
    make(interview)
    edit(interview, "a", status="rejected")
    assert [p.id for p in conversations.pairs(interview)] == ["b1", "b2"]
    edit(interview, "b1", question="Where did it all start?", status="edited")
    assert conversations.pairs(interview) == []  # b1's question, and so b2's prompt, changed
    edit(interview, "a", status="accepted", answer="Because my father sailed, and his.")
    found = conversations.pairs(interview)
    assert [(p.id, p.chosen) for p in found] == [("a", "Because my father sailed, and his.")]  # chosen edited: the base's answer still fits
    assert conversations.pairs(interview, only_reviewed=True) == found
    summary, engine = make(interview)
    assert (summary.generated, summary.reused) == (2, 1) and [c[-1]["content"] for c in engine.batches[0]] == ["Where did it all start?", "Long before that?"]


PAIRS_RUN = """
import sys, time
from pathlib import Path
from synth.generation import pairs
from voicetune.engine import Generation, answer_sampling

class Stalls:
    def stream(self, convs, sampling):
        yield 0, Generation("base: first", 5, True)
        print("one", flush=True)
        time.sleep(600)  # killed here
        yield 1, Generation("base: second", 5, True)

pairs.make(Path(sys.argv[1]), lambda: Stalls(), "base-model", answer_sampling(), system=sys.argv[2])
"""


def test_a_run_killed_with_kill_9_keeps_what_it_made_and_the_next_run_makes_only_the_rest(interview):
    run = subprocess.Popen([sys.executable, "-c", PAIRS_RUN, str(interview), SYSTEM], stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline() == "one\n"
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
    sidecar = interview.with_name("interview.pairs.jsonl")
    assert [line["id"] for line in sidecar_lines(interview)] == ["a"]
    with open(sidecar, "a") as f:
        f.write('{"id": "b1", "key": "0f3a", "rejec')  # as if killed mid-line
    assert [p.id for p in conversations.pairs(interview)] == ["a"]  # the torn line is not read
    summary, engine = make(interview)
    assert (summary.generated, summary.reused) == (2, 1) and len(engine.batches[0]) == 2
    assert [line["id"] for line in sidecar_lines(interview)] == ["a", "b2", "b1"]  # whole lines only
    assert [p.rejected for p in conversations.pairs(interview)] == ["base: first", "base: Where did it start?", "base: Long before that?"]


def test_a_pair_prompt_equals_the_sft_prompt_token_for_token(interview, tokenizer):
    make(interview)
    for pair in conversations.pairs(interview):
        sft = chatml.tokenize(pair.id, pair.conversation.messages(SYSTEM), tokenizer)
        # what vLLM's chat() renders for the base model: the template with the generation prompt
        prompt = tokenizer.apply_chat_template(pair.prompt(SYSTEM), tokenize=False, add_generation_prompt=True)
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        assert sft.input_ids[: len(ids)] == ids
        assert sft.labels[len(ids) - 1] == chatml.IGNORE and sft.labels[len(ids)] == sft.input_ids[len(ids)]  # the chosen answer starts right there
        answer = tokenizer(pair.chosen + "<|im_end|>", add_special_tokens=False)["input_ids"]
        assert sft.input_ids[len(ids): len(ids) + len(answer)] == answer


def test_preference_export_loads_with_datasets_in_trls_conversational_layout(interview, tmp_path, tokenizer):
    from datasets import load_dataset

    make(interview)
    edit(interview, "a", status="rejected")
    out = tmp_path / "prefs.jsonl"
    done = export.export(interview, "preference", out, system=SYSTEM)
    assert done.turns == 2
    rows = load_dataset("json", data_files=str(out), split="train")
    assert rows.column_names == ["prompt", "chosen", "rejected"]
    for row, pair in zip(rows, conversations.pairs(interview)):
        assert row["prompt"] == pair.prompt(SYSTEM) and row["prompt"][-1]["role"] == "user"
        assert row["chosen"] == [{"role": "assistant", "content": pair.chosen}]
        assert row["rejected"] == [{"role": "assistant", "content": pair.rejected}]
        # what TRL's maybe_apply_chat_template does with a conversational preference row: the
        # prompt rendered with the generation prompt, each answer as the rest of prompt + answer
        prompt = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        for side in ("chosen", "rejected"):
            whole = tokenizer.apply_chat_template(row["prompt"] + row[side], tokenize=False)
            assert whole.startswith(prompt) and whole[len(prompt):].startswith(row[side][0]["content"] + "<|im_end|>")


def test_the_cli_makes_pairs_then_exports_them_and_says_what_to_do_without_them(interview, monkeypatch):
    monkeypatch.setattr(synthesis, "choose", lambda *a, **k: Backend(Echo, "base-model", "fake", local=False))
    runner = CliRunner()
    assert_user_error(runner.invoke(synth_cli, ["export", str(interview), "--format", "preference"]), "synth pairs")
    result = runner.invoke(synth_cli, ["pairs", str(interview)])
    assert result.exit_code == 0, result.output
    assert "3 pairs, 3 generated, 0 reused; 1 cut at 256 tokens" in result.output
    result = runner.invoke(synth_cli, ["export", str(interview), "--format", "preference"])
    assert result.exit_code == 0 and "Wrote 3 preference pairs" in result.output
    assert len(interview.with_name("interview.preference.jsonl").read_text().splitlines()) == 3
    other = runner.invoke(synth_cli, ["export", str(interview), "--format", "preference", "--persona", "Sherlock Holmes"])
    assert_user_error(other, "no current preference pair", "--persona")  # made for another system message


def test_the_review_page_shows_each_pair_and_whether_training_would_use_it(interview):
    assert pair_view(interview) == {}
    make(interview)
    edit(interview, "a", status="rejected")
    edit(interview, "b2", question="Long after that?", status="edited")
    view = pair_view(interview)
    assert view["b1"] == {"rejected": "base: Where did it start?", "stopped": True, "current": True}
    assert not view["a"]["current"] and not view["b2"]["current"] and view["b2"]["stopped"] is False


@pytest.mark.engine
def test_synth_pairs_generates_with_vllm_on_the_embedded_model(interview):
    """The real path: `python -m synth pairs` (guarded, as a user runs it), vLLM on the CPU, the
    embedded SmolLM2: three usable turns, one of them a follow-up with its earlier turn as history."""
    command = [sys.executable, "-m", "synth", "pairs", str(interview), "--max-tokens", "48"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 pairs, 3 generated, 0 reused" in first.stdout
    lines = sidecar_lines(interview)
    assert sorted(line["id"] for line in lines) == ["a", "b1", "b2"]
    assert all(line["model"] == "SmolLM2-135M-Instruct" and line["rejected"].strip() and 0 < line["tokens"] <= 48 for line in lines)
    assert [p.id for p in conversations.pairs(interview)] == ["a", "b1", "b2"]
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "0 generated, 3 reused" in again.stdout  # nothing to make: no engine started
