"""Packing: literal ids first, then the real model's attention kept within each conversation."""

import pytest
import torch

from train.data.chatml import IGNORE, Example
from train.data.collate import PadCollator
from train.data.packing import Layout, layout, pack, step_tokens


def test_pack_concatenates_restarts_positions_and_never_targets_the_next_conversation():
    a = Example("a", [1, 10, 11, 2], [IGNORE, IGNORE, 11, 2])
    b = Example("b", [1, 20, 2], [5, 20, 2])  # a trained first token must not be a target across the seam
    c = Example("c", [1, 30, 31, 32, 2], [IGNORE, IGNORE, 31, 32, 2])
    packs = pack([a, b, c], tokens=8)
    assert [p.ids for p in packs] == [("c", "b"), ("a",)]
    assert packs[0].input_ids == [1, 30, 31, 32, 2, 1, 20, 2]
    assert packs[0].labels == [IGNORE, IGNORE, 31, 32, 2, IGNORE, 20, 2]
    assert packs[0].position_ids == [0, 1, 2, 3, 4, 0, 1, 2]


def test_pack_refuses_a_conversation_longer_than_a_sequence():
    with pytest.raises(ValueError, match="record x"):
        pack([Example("x", [1, 2, 3], [1, 2, 3])], tokens=2)


def test_a_cpu_step_holds_about_batch_size_conversations_in_one_row_at_least_the_longest():
    examples = [Example(str(n), [0] * n, [0] * n) for n in (100, 200, 300)]
    assert layout(examples, step_tokens(examples, 4, 1024, gpu=False), 1024) == Layout(800, 1)
    assert layout(examples, step_tokens(examples, 1, 1024, gpu=False), 1024) == Layout(300, 1)


def test_a_step_budget_beyond_max_length_fills_several_rows():
    """The step's tokens grow with the batch: more rows, each at most --max-length."""
    examples = [Example(str(n), [0] * n, [0] * n) for n in (300, 330, 360)]
    assert layout(examples, step_tokens(examples, 8, 1024, gpu=False), 1024) == Layout(1024, 3)
    assert layout(examples, step_tokens(examples, 8, 1024, gpu=True), 1024) == Layout(1024, 8)
    assert layout(examples, step_tokens(examples, 32, 1024, gpu=True), 1024).step_tokens == 32 * 1024


def test_collator_gives_packed_rows_position_ids_and_no_attention_mask():
    batch = PadCollator(pad_token_id=2)([
        {"input_ids": [5, 6, 7, 8], "labels": [IGNORE, 6, IGNORE, 8], "position_ids": [0, 1, 0, 1]},
        {"input_ids": [9, 3], "labels": [IGNORE, 3], "position_ids": [0, 1]},
    ])
    assert "attention_mask" not in batch
    assert batch["position_ids"].tolist() == [[0, 1, 0, 1], [0, 1, 0, 1]]
    assert batch["labels"].tolist() == [[IGNORE, 6, IGNORE, 8], [IGNORE, 3, IGNORE, IGNORE]]


def test_flash_attention_rows_are_joined_into_one_row_without_padding():
    rows = [
        {"input_ids": [5, 6, 7], "labels": [IGNORE, 6, 7], "position_ids": [0, 1, 2]},
        {"input_ids": [9, 3], "labels": [IGNORE, 3], "position_ids": [0, 1]},
    ]
    batch = PadCollator(pad_token_id=2, flatten=True)(rows)
    assert batch.keys() == {"input_ids", "labels", "position_ids"}
    assert batch["input_ids"].tolist() == [[5, 6, 7, 9, 3]]
    assert batch["labels"].tolist() == [[IGNORE, 6, 7, IGNORE, 3]]
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 1]]


def test_unpacked_rows_are_padded_even_with_flatten():
    batch = PadCollator(pad_token_id=2, flatten=True)([{"input_ids": [5, 6], "labels": [IGNORE, 6]}, {"input_ids": [7], "labels": [7]}])
    assert batch["attention_mask"].tolist() == [[1, 1], [1, 0]]


def test_the_trainer_takes_as_many_packed_rows_a_step_as_the_layout_says(tmp_path):
    from train.config import TrainConfig
    from train.fit import layout as fit_layout, training_arguments

    examples = [Example(str(n), [0] * n, [0] * n) for n in (300, 330, 360)]
    config = TrainConfig(batch_size=8)
    assert fit_layout(examples, config, gpu=True).rows == 8
    assert fit_layout(examples, TrainConfig(batch_size=8, tokens_per_step=2048), gpu=True) == Layout(1024, 2)
    assert training_arguments(config, tmp_path, rows_per_step=3).per_device_train_batch_size == 3
    assert training_arguments(TrainConfig(batch_size=8, packing=False), tmp_path).per_device_train_batch_size == 8


@pytest.mark.engine
def test_packed_loss_is_the_sum_of_the_separate_losses(embedded_model, tokenizer):
    """Restarting position ids isolate attention on sdpa (no cross-conversation leak)."""
    from transformers import AutoModelForCausalLM

    from train.data.chatml import to_messages, tokenize

    model = AutoModelForCausalLM.from_pretrained(embedded_model, dtype=torch.float32).eval()
    a = tokenize("a", to_messages("Why the sea?", "Because the engine room was home.", "You are Agnes."), tokenizer)
    b = tokenize("b", to_messages("And your mother?", "She was afraid for me.", "You are Agnes."), tokenizer)

    def loss_sum(item):
        batch = PadCollator(tokenizer.pad_token_id)([item])
        with torch.no_grad():
            logits = model(**{k: v for k, v in batch.items() if k != "labels"}, use_cache=False).logits[0, :-1]
        return torch.nn.functional.cross_entropy(logits, batch["labels"][0, 1:], ignore_index=IGNORE, reduction="sum").item()

    separate = sum(loss_sum({"input_ids": e.input_ids, "labels": e.labels}) for e in (a, b))
    (packed,) = pack([a, b], tokens=len(a.input_ids) + len(b.input_ids))
    joined = {"input_ids": packed.input_ids, "labels": packed.labels}
    assert loss_sum({**joined, "position_ids": packed.position_ids}) == pytest.approx(separate, rel=1e-4)
    assert loss_sum(joined) != pytest.approx(separate, rel=1e-3)  # without the restarts, b would see a
