"""Both stages take their defaults from one frozen dataclass each, and agree on who is interviewed."""

import dataclasses
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from synth.cli import cli as synth_cli
from synth.config import SynthConfig
from train.config import TrainConfig
from voicetune.records import Record, record_line


def interviewed(prompt: str) -> str:
    return re.search(r"You asked (.+?) about their life", prompt).group(1)


def trained_as(text: str) -> str:
    return re.search(r"You are (.+?)\. Answer the interviewer", text).group(1)


def one_record(tmp_path) -> Path:
    path = tmp_path / "interview.jsonl"
    path.write_text(record_line(Record(id="r", question="Why the sea?", answer="It called me.", source={})))
    return path


def test_synth_asks_the_person_train_trains_as(tmp_path, embedded_model):
    # The model is trained as the person the questions were put to ("the author" vs "the author of this book" before).
    from synth import synthesis
    from synth.document import Passage
    from train import inspect

    job = synthesis.job_for(SynthConfig(no_specificity=True), "m")
    question_prompt = job.conversation(Passage("p", "I was born by the sea.", "book.txt", 1, 1), None)[0]["content"]
    trained = inspect.run(TrainConfig(), one_record(tmp_path))  # the conversation as training tokenizes it
    assert interviewed(question_prompt) == trained_as(trained) == "the author"


def test_train_cli_trains_as_the_author_unless_given_a_persona(tmp_path, embedded_model):
    from train.cli import cli as train_cli

    path = str(one_record(tmp_path))
    shown = CliRunner().invoke(train_cli, ["inspect", "--data", path])
    assert shown.exit_code == 0, shown.output
    assert trained_as(shown.output) == "the author"
    named = CliRunner().invoke(train_cli, ["inspect", "--data", path, "--persona", "Agnes Smedley"])
    assert trained_as(named.output) == "Agnes Smedley"


def test_synth_run_options_default_to_the_config():
    fields = {f.name: f.default for f in dataclasses.fields(SynthConfig)}
    params = {p.name: p.default for p in synth_cli.commands["run"].params if p.name in fields}
    assert set(params) == set(fields)  # every setting is an option, every option a setting
    assert params == fields


def test_synth_config_is_frozen_and_refuses_unknown_keys():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SynthConfig().seed = 1
    with pytest.raises(ValueError, match="unknown synth option.*temprature"):
        SynthConfig.from_dict({"temprature": 0.5})


def test_a_changed_default_reaches_the_job(monkeypatch):
    from synth import synthesis

    job = synthesis.job_for(dataclasses.replace(SynthConfig(), temperature=0.1, persona=None), "m")
    assert job.sampling.temperature == 0.1 and job.persona == "the author"
