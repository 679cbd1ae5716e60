"""Both stages take their defaults from one frozen dataclass each, and agree on who is interviewed."""

import dataclasses

import pytest

from synth.cli import cli as synth_cli
from synth.config import SynthConfig
from train.config import TrainConfig


def test_synth_and_train_default_to_the_same_persona():
    # The model is trained as the person the questions were put to ("the author" vs "the author of this book" before).
    assert TrainConfig().persona == SynthConfig().prompt_persona


def test_train_cli_shows_the_shared_persona():
    from train.cli import cli as train_cli

    persona = next(p for p in train_cli.commands["run"].params if p.name == "persona")
    assert persona.default == SynthConfig().prompt_persona


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
