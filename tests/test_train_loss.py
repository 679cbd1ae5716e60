"""The loss: mean over trained tokens of the whole step, logits only where a token is trained."""

from types import SimpleNamespace

import torch
from click.testing import CliRunner

from train.chatml import IGNORE
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


def test_accumulated_micro_batches_average_over_all_trained_tokens():
    """Two micro-batches with 1 and 3 trained tokens: each token weighs 1/4, not 1/2 and 1/6."""
    a = (torch.tensor([[0, 1, 2]]), torch.tensor([[IGNORE, IGNORE, 2]]))
    b = (torch.tensor([[3, 2, 1, 0]]), torch.tensor([[IGNORE, 2, 1, 0]]))
    t = trainer()
    total = sum(t.compute_loss(FakeModel(), {"input_ids": i, "labels": l}, num_items_in_batch=4) for i, l in (a, b))
    assert torch.isclose(total, (reference_nll(*a) + reference_nll(*b)) / 4)


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
