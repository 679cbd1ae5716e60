"""Checkpoints and --resume on the real 4-bit model: an interrupted run, resumed, ends where an
uninterrupted one does (optimizer, scheduler and data position restored)."""

import pytest

from train_tiny import write_data

pytestmark = pytest.mark.engine


def lora_weights(folder):
    from safetensors.torch import load_file

    return load_file(folder / "adapter_model.safetensors")


def test_an_interrupted_run_resumes_to_the_same_adapter(tmp_path, embedded_model, tokenizer):
    from transformers import TrainerCallback

    from train import data as dataset
    from train import fit
    from train.config import TrainConfig

    class StopAt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 2:
                control.should_training_stop = True  # a kill after the step-2 checkpoint

    config = TrainConfig(epochs=1, batch_size=3, learning_rate=1e-3, lora_r=8, lora_dropout=0.0, max_length=128, save_steps=2)
    data = dataset.load(write_data(tmp_path), tokenizer, system=None, max_length=128, eval_share=0.1, seed=0)
    whole, _ = fit.train(config, embedded_model, tokenizer, False, data, tmp_path / "whole")
    cut, _ = fit.train(config, embedded_model, tokenizer, False, data, tmp_path / "cut", callbacks=[StopAt()])
    assert cut.state.global_step == 2 < whole.state.global_step
    assert (tmp_path / "cut" / "checkpoints" / "checkpoint-2" / "optimizer.pt").exists()
    resumed, _ = fit.train(config, embedded_model, tokenizer, False, data, tmp_path / "cut", resume=True)
    assert resumed.state.global_step == whole.state.global_step
    # Bf16 CPU kernels are not bitwise deterministic (two fresh runs differ in the 3rd digit of the
    # gradient norm), so the comparison is close, not equal. Same batch at step 3 (data position),
    # same learning rate (scheduler), same losses to 2%. (Adam turns that noise into visibly
    # different LoRA weights after a few steps, so the weights are not compared.)
    logged = lambda t: {e["step"]: e for e in t.state.log_history if "loss" in e}
    assert logged(resumed)[3]["learning_rate"] == pytest.approx(logged(whole)[3]["learning_rate"])
    for step in (3, 4):
        assert logged(resumed)[step]["loss"] == pytest.approx(logged(whole)[step]["loss"], rel=0.02)
    # an epoch checkpoint and the best one by eval loss are kept
    assert fit.adapter_to_merge(whole, tmp_path / "whole", "best").name.startswith("checkpoint-")


def test_resume_without_a_checkpoint_says_so(tmp_path):
    from train import fit

    with pytest.raises(FileNotFoundError, match="without --resume"):
        fit.last_checkpoint(tmp_path)
