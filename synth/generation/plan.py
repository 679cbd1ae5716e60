"""Which records a run settles, in which order: passages grouped into conversations (interviews),
each passage's k-th question a unit, and the units taken turn by turn (waves).

Interviews (`Job.turns` > 1): up to that many consecutive passages of one chapter make one
conversation. In a transcript, consecutive real exchanges become one conversation with the
interviewer's real questions. Every conversation's first turn is one wave, every second turn the
next, ...: a follow-up is written after the turns before it are settled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from synth.document import Passage
from synth.generation.job import Job


def record_id(passage: Passage, k: int) -> str:
    """The k-th question of a passage (-n > 1): the passage id, then id.2, id.3, ..."""
    return passage.id if k == 0 else f"{passage.id}.{k + 1}"


def _turn_numbers(passage: Passage) -> tuple[int, int]:
    first, _, last = passage.turns.partition("-")
    return int(first), int(last or first)


def continues(previous: Passage, passage: Passage) -> bool:
    """Whether `passage` can be the next turn of the conversation that `previous` is in: the next
    passage of the same chapter of a book, or, in a transcript, the persona's answer to the very
    next real question."""
    if previous.source != passage.source:
        return False
    if passage.turns or previous.turns:
        return bool(passage.turns and previous.turns and passage.question) and _turn_numbers(passage)[0] == _turn_numbers(previous)[1] + 1
    return previous.chapter == passage.chapter


def interviews(passages: Sequence[Passage], turns: int) -> list[list[int]]:
    """Passage indices grouped into conversations of at most `turns` consecutive passages."""
    groups: list[list[int]] = []
    for i, p in enumerate(passages):
        if groups and len(groups[-1]) < turns and continues(passages[groups[-1][-1]], p):
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


@dataclass(frozen=True)
class Unit:
    """One record to settle: passage `index`'s k-th question, turn `position` of `conversation`."""

    index: int
    k: int
    conversation: str | None
    position: int
    previous: int | None  # the unit of the turn before, in the same conversation


def plan(passages: Sequence[Passage], job: Job) -> list[Unit]:
    """Every record's unit, in file order: conversation by conversation, each in turn order."""
    units: list[Unit] = []
    for group in interviews(passages, job.turns):
        real = passages[group[0]].question is not None
        for k in range(1 if real else job.per_passage):
            conversation = record_id(passages[group[0]], k) if len(group) > 1 else None
            for position, i in enumerate(group, start=1):
                units.append(Unit(i, k, conversation, position, len(units) - 1 if position > 1 else None))
    return units


def waves(units: Sequence[Unit]) -> list[list[int]]:
    """The units' indices turn by turn, in file order within each: every conversation's first
    turn, then every second turn, ..."""
    last = max((unit.position for unit in units), default=0)
    return [[u for u, unit in enumerate(units) if unit.position == wave] for wave in range(1, last + 1)]
