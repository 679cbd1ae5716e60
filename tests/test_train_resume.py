"""Checkpoints and --resume on the real 4-bit model: an interrupted run, resumed, ends where an
uninterrupted one does (optimizer, scheduler and data position restored)."""

import pytest

from train_tiny import write_data

pytestmark = pytest.mark.engine


def lora(trainer) -> dict:
    """The adapter's weights as the trainer ended with them."""
    return {n: p.detach().clone() for n, p in trainer.model.named_parameters() if "lora_" in n}


def test_an_interrupted_run_resumes_to_the_same_adapter(tmp_path, embedded_model, tokenizer):
    import torch
    from transformers import TrainerCallback

    from train.data import dataset
    from train import fit
    from train.config import TrainConfig

    class StopAt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 2:
                control.should_training_stop = True  # a kill after the step-2 checkpoint

    config = TrainConfig(epochs=1, batch_size=1, learning_rate=1e-3, lora_r=8, lora_dropout=0.0, max_length=128, save_steps=2)  # about one conversation a step: several steps
    data = dataset.load(write_data(tmp_path), tokenizer, system=None, max_length=128, eval_share=0.1, seed=0)
    whole, _ = fit.train(config, embedded_model, tokenizer, False, data, tmp_path / "whole")
    cut, _ = fit.train(config, embedded_model, tokenizer, False, data, tmp_path / "cut", callbacks=[StopAt()])
    assert cut.state.global_step == 2 < whole.state.global_step
    assert (tmp_path / "cut" / "checkpoints" / "checkpoint-2" / "optimizer.pt").exists()
    resumed, _ = fit.train(config, embedded_model, tokenizer, False, data, tmp_path / "cut", resume=True)
    assert resumed.state.global_step == whole.state.global_step
    # Same batch at step 3 (data position), same learning rate (scheduler), same optimizer state:
    # the resumed run ends with exactly the adapter of the uninterrupted one.
    logged = lambda t: {e["step"]: e for e in t.state.log_history if "loss" in e}
    assert logged(resumed)[3]["learning_rate"] == logged(whole)[3]["learning_rate"]
    assert [logged(resumed)[step]["loss"] for step in (3, 4)] == [logged(whole)[step]["loss"] for step in (3, 4)]
    ended, expected = lora(resumed), lora(whole)
    assert ended.keys() == expected.keys() and all(torch.equal(ended[n], expected[n]) for n in expected)
    # an epoch checkpoint and the best one by eval loss are kept
    assert fit.adapter_to_merge(whole, tmp_path / "whole", "best").name.startswith("checkpoint-")


def test_resume_without_a_checkpoint_says_so(tmp_path):
    from train import fit

    with pytest.raises(FileNotFoundError, match="without --resume"):
        fit.last_checkpoint(tmp_path)


def test_the_same_seed_trains_the_same_adapter(tmp_path, embedded_model, tokenizer):
    """Regression: LoRA's A matrices were drawn before the Trainer seeded, so every run differed."""
    from dataclasses import replace

    import torch

    from train.data import dataset
    from train import fit
    from train.config import TrainConfig

    config = TrainConfig(max_steps=2, batch_size=3, learning_rate=1e-3, lora_r=8, max_length=128)
    data = dataset.load(write_data(tmp_path), tokenizer, system=None, max_length=128, eval_share=0.1, seed=0)
    first, second = (lora(fit.train(config, embedded_model, tokenizer, False, data, tmp_path / name)[0]) for name in ("a", "b"))
    assert first.keys() == second.keys() and first
    assert all(torch.equal(first[n], second[n]) for n in first)
    other = lora(fit.train(replace(config, seed=7), embedded_model, tokenizer, False, data, tmp_path / "c")[0])
    assert not all(torch.equal(first[n], other[n]) for n in first)  # the seed is what makes them equal
