"""Pads only: the loss mask was built when tokenizing (chatml.py), packing was done in packing.py."""

from __future__ import annotations

import torch

from train.data.chatml import IGNORE


class PadCollator:
    """Right-pads a batch to its longest example. Padding is masked out of attention and of the
    labels, so even when the pad token is also the eos token, the eos the model must learn to
    emit at the end of its answer keeps its label.

    Packed rows (with `position_ids`) get no attention mask: the restarting position ids carry
    the conversation boundaries (packing.py), and right padding, being last and causal, is never
    attended to by a real token; its positions restart too, so it is a conversation of its own.

    With `flatten` (flash-attention 2), packed rows are joined into one row with no padding at all:
    flash-attention's variable-length kernel reads the conversation boundaries from the restarting
    position ids when the batch is a single row."""

    def __init__(self, pad_token_id: int, flatten: bool = False):
        self.pad_token_id = pad_token_id
        self.flatten = flatten

    def __call__(self, batch: list[dict]) -> dict[str, torch.Tensor]:
        if self.flatten and "position_ids" in batch[0]:
            return flat(batch)
        longest = max(len(item["input_ids"]) for item in batch)

        def pad(values: list[int], fill: int) -> list[int]:
            return list(values) + [fill] * (longest - len(values))

        out = {
            "input_ids": torch.tensor([pad(item["input_ids"], self.pad_token_id) for item in batch]),
            "labels": torch.tensor([pad(item["labels"], IGNORE) for item in batch]),
        }
        if "position_ids" in batch[0]:
            out["position_ids"] = torch.tensor(
                [list(item["position_ids"]) + list(range(longest - len(item["input_ids"]))) for item in batch]
            )
        else:
            out["attention_mask"] = torch.tensor([pad([1] * len(item["input_ids"]), 0) for item in batch])
        return out


def flat(batch: list[dict]) -> dict[str, torch.Tensor]:
    """Packed rows joined end to end into one padding-free row (each conversation's first label
    is already masked, so no row is a target of the one before it)."""
    return {key: torch.tensor([[v for item in batch for v in item[key]]]) for key in ("input_ids", "labels", "position_ids")}
