"""The loss: mean over trained tokens of the whole step, logits only where a token is trained."""

import json
from types import SimpleNamespace

import pytest

import torch
from click.testing import CliRunner

from train.data.chatml import IGNORE
from train.fit import assistant_loss_trainer


class FakeModel:
    """Fixed logits over a 4-token vocabulary; records which positions were asked for."""

    def __init__(self):
        self.kept = []

    def __call__(self, input_ids, logits_to_keep, use_cache, **_):
        self.kept.append(logits_to_keep.tolist())
        logits = torch.log_softmax(torch.arange(4.0) * (input_ids[..., None] + 1), -1)
        return SimpleNamespace(logits=logits[:, logits_to_keep])


def trainer():
    t = object.__new__(assistant_loss_trainer())
    t.args = SimpleNamespace(average_tokens_across_devices=True)
    t.accelerator = SimpleNamespace(num_processes=1)
    return t


def reference_nll(input_ids, labels):
    logits = torch.log_softmax(torch.arange(4.0) * (input_ids[..., None] + 1), -1)
    return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, 4), labels[:, 1:].reshape(-1), ignore_index=IGNORE, reduction="sum")


def test_logits_only_where_the_next_token_is_trained():
    model = FakeModel()
    ids, labels = torch.tensor([[0, 1, 2, 3]]), torch.tensor([[IGNORE, IGNORE, 2, 3]])
    loss = trainer().compute_loss(model, {"input_ids": ids, "labels": labels})
    assert model.kept == [[1, 2]]
    assert torch.isclose(loss, reference_nll(ids, labels) / 2)


@pytest.mark.engine
def test_grad_accum_divides_each_micro_batch_by_the_whole_steps_trained_tokens(tmp_path, embedded_model, tokenizer, monkeypatch):
    """Real Trainer, --grad-accum 2: the count it hands compute_loss is the trained tokens of both
    micro-batches of the step, so each token weighs the same whichever micro-batch it is in."""
    from train.data import dataset
    from train import fit
    from train.config import TrainConfig
    from train_tiny import write_data

    seen = []  # per training micro-batch: (its trained tokens, num_items_in_batch)
    plain = fit.assistant_loss_trainer

    def recording():
        class Recording(plain()):
            def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
                if model.training:
                    seen.append((int((inputs["labels"][:, 1:] != IGNORE).sum()), None if num_items_in_batch is None else int(num_items_in_batch)))
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

        return Recording

    monkeypatch.setattr(fit, "assistant_loss_trainer", recording)
    config = TrainConfig(max_steps=2, grad_accum=2, batch_size=1, lora_r=8, max_length=128)
    data = dataset.load(write_data(tmp_path), tokenizer, system=None, max_length=128, eval_share=0.2, seed=0)
    fit.train(config, embedded_model, tokenizer, False, data, tmp_path / "run")
    assert len(seen) == 4, seen
    for (a, step_a), (b, step_b) in (seen[:2], seen[2:]):
        assert step_a == step_b == a + b, seen
    assert any(a != b for (a, _), (b, _) in (seen[:2], seen[2:])), "micro-batches of equal size would not tell the two apart"


@pytest.mark.engine
def test_training_without_packing_runs_end_to_end(tmp_path, embedded_model):
    """--no-packing: padded batches of --batch-size conversations, trained, merged, checked, asked."""
    from train.cli import cli
    from train_tiny import write_data

    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["run", "--data", str(write_data(tmp_path)), "--out", str(out), "--no-packing", "--no-eval",
                                      "--epochs", "4", "--batch-size", "3", "--learning-rate", "1e-3", "--lora-r", "8", "--max-length", "128"])
    assert result.exit_code == 0, result.output
    assert "merge check" in result.output and "stopped at <|im_end|>" in result.output
    assert (out / "merged" / "model.safetensors").exists()
    state = json.loads(next((out / "checkpoints").glob("checkpoint-*/trainer_state.json")).read_text())
    assert state["train_batch_size"] == 3  # padded batches of 3 conversations, not packed rows


def test_inspect_marks_masked_tokens_and_counts_records_over_the_limit(tmp_path, embedded_model):
    from train.cli import cli

    data = tmp_path / "interview.jsonl"
    long_answer = "The engine ran hot all night. " * 40
    data.write_text(
        '{"id": "short", "question": "Why?", "answer": "Because.", "source": {}}\n'
        f'{{"id": "long", "question": "And then?", "answer": "{long_answer}", "source": {{}}}}\n'
    )
    result = CliRunner().invoke(cli, ["inspect", "--data", str(data), "--max-length", "100", "--system-prompt", ""])
    assert result.exit_code == 0, result.output
    assert "user\nWhy?<|im_end|>\n<|im_start|>assistant\n]Because.<|im_end|>[\n]" in result.output
    assert "Because* .* <|im_end|>* Ċ\n" in result.output
    assert "1 over --max-length 100 by 216 tokens" in result.output and "never cut inside an answer" in result.output
