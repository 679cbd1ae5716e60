"""Several conversations in one sequence, so no step computes on padding.

Position ids restart at 0 for every conversation. With no attention mask, transformers reads the
restarts as sequence boundaries and builds a block-diagonal causal mask (masking_utils'
`find_packed_sequence_indices`, sdpa and eager alike), so a token attends only to its own
conversation: a packed sequence's loss is the sum of its conversations' losses
(tests/test_train_packing.py checks it on the real model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from train.data.chatml import IGNORE, Example


@dataclass(frozen=True)
class Pack:
    ids: tuple[str, ...]
    input_ids: list[int]
    labels: list[int]
    position_ids: list[int]

    @property
    def trained_tokens(self) -> int:
        return sum(label != IGNORE for label in self.labels)


@dataclass(frozen=True)
class Layout:
    """How packed conversations make a step: `rows` sequences of at most `row_tokens` each."""

    row_tokens: int
    rows: int

    @property
    def step_tokens(self) -> int:
        return self.row_tokens * self.rows


def step_tokens(examples: Sequence[Example], batch_size: int, max_length: int, gpu: bool) -> int:
    """Tokens per optimizer step (per process), the budget that grows with the batch.

    GPU: `batch_size` full rows of `max_length`. QLoRA dequantizes every base weight in every
    forward and backward pass, a fixed cost per step whatever it carries, and a GPU computes a
    few thousand tokens in about the time it takes one: a step must carry many tokens.
    CPU: about `batch_size` conversations of average length, as many as an unpacked batch: the
    CPU is busy with each token, so more tokens a step make each step longer, not faster."""
    if gpu:
        return batch_size * max_length
    mean = sum(len(e.input_ids) for e in examples) / max(1, len(examples))
    return max(1, round(batch_size * mean))


def layout(examples: Sequence[Example], tokens: int, max_length: int) -> Layout:
    """Rows of at most max_length tokens (never shorter than the longest conversation), enough of
    them to hold `tokens` a step."""
    longest = max((len(e.input_ids) for e in examples), default=1)
    row = max(longest, min(max_length, tokens))
    return Layout(row, max(1, -(-tokens // row)))


def pack(examples: Sequence[Example], tokens: int) -> list[Pack]:
    """First-fit decreasing: few sequences, each at most `tokens` long. Deterministic."""
    bins: list[list[Example]] = []
    room: list[int] = []
    for example in sorted(examples, key=lambda e: (-len(e.input_ids), e.id)):
        n = len(example.input_ids)
        if n > tokens:
            raise ValueError(f"record {example.id} has {n} tokens, more than the {tokens} of a packed sequence")
        slot = next((i for i, free in enumerate(room) if free >= n), None)
        if slot is None:
            bins.append([])
            room.append(tokens)
            slot = len(bins) - 1
        bins[slot].append(example)
        room[slot] -= n
    return [_concat(group) for group in bins]


def _concat(group: list[Example]) -> Pack:
    input_ids, labels, positions = [], [], []
    for example in group:
        input_ids += example.input_ids
        # The first token is never a target from the conversation before it.
        labels += [IGNORE] + example.labels[1:]
        positions += range(len(example.input_ids))
    return Pack(tuple(e.id for e in group), input_ids, labels, positions)
