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

from train.chatml import IGNORE, Example


@dataclass(frozen=True)
class Pack:
    ids: tuple[str, ...]
    input_ids: list[int]
    labels: list[int]
    position_ids: list[int]

    @property
    def trained_tokens(self) -> int:
        return sum(label != IGNORE for label in self.labels)


def budget(examples: Sequence[Example], batch_size: int, max_length: int) -> int:
    """Tokens per packed sequence: about `batch_size` conversations of average length, so a step
    sees as many conversations as an unpacked batch would; never less than the longest one."""
    mean = sum(len(e.input_ids) for e in examples) / max(1, len(examples))
    longest = max((len(e.input_ids) for e in examples), default=0)
    return max(longest, min(max_length, round(batch_size * mean)))


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
