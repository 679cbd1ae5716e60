"""interview.jsonl (or `messages` JSONL from other tools) -> the conversations training uses,
and their train/held-out split: the trainer's selection, which `synth export` writes too.

One training example per conversation: the turns before the first one that cannot be used
(rejected; with --only-reviewed, not yet accepted or edited; without a question or answer),
since a follow-up presupposes what came before. Single-turn records are conversations of one.
The split is by conversation, before tokenizing, so it depends only on the records, the seed
and the share: `synth export --format hf` reproduces it, and no conversation or record id is
ever on both sides.

Preference pairs (`pairs`) are read here too, with the same selection: for each usable turn, the
SFT prompt (system message, the earlier turns, its question), the author's answer (chosen) and
the base model's answer to that prompt (rejected), from the sidecar interview.pairs.jsonl that
`synth pairs` writes, one line per turn: {"id", "key", "rejected", "model", "sampling", ...}.
`key` hashes the exact prompt messages, the model and the sampling settings, so a line made for
another prompt (a question or an earlier turn edited since, another system message) is stale
and left out. The chosen answer is not in the key: editing it changes chosen, not the base
model's reply to the prompt.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from voicetune import chat, prompts
from voicetune.dataset import DatasetFile
from voicetune.records import Record, conversations, dumps, iter_jsonl, usable_turns, whole_lines


MIN_HELD_OUT = 5  # the fewest held-out records `train eval` gives a bootstrap interval for


class DataError(ValueError):
    """The data cannot be trained on; the message says why and what to do."""


@dataclass(frozen=True)
class Conversation:
    """What training sees as one example."""

    id: str  # the records' `conversation`, or the record id of a single turn
    turns: tuple[Record, ...]
    system: str | None = None  # the file's own system message (messages JSONL); None: the trainer's

    def messages(self, system: str | None) -> list[chat.Message]:
        return chat.of_records(self.turns, self.system if self.system is not None else system)


@dataclass(frozen=True)
class Selection:
    conversations: list[Conversation]
    excluded: int  # records left out for their review status (or for following such a turn)
    skipped_no_question: int  # records left out for an empty question or answer (or following one)


def system_message(template: str | None, persona: str) -> str | None:
    return prompts.render(prompts.load(template), persona=persona).strip() if template else None


def keep_statuses(only_reviewed: bool) -> tuple[str, ...]:
    return ("accepted", "edited") if only_reviewed else ("pending", "accepted", "edited")


def select(records: list[Record], only_reviewed: bool = False) -> list[Record]:
    """The records training may use, by status alone: all but the rejected ones; with
    only_reviewed, only what a reviewer accepted or edited."""
    return [r for r in records if r.status in keep_statuses(only_reviewed)]


def read(path: Path) -> list[Conversation]:
    """Every conversation in `path`, an interview.jsonl or a `messages` JSONL (told apart by the
    keys of its first record); DataError/MalformedFile naming the problem otherwise."""
    if path.is_dir():
        raise DataError(f"{path} is a folder: --data takes an interview file, e.g. {path / 'interview.jsonl'}")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    if data.lstrip().startswith(b"["):
        raise DataError(f"{path}: a JSON array, not JSON Lines: --data takes one record or one {{\"messages\": [...]}} conversation a line")
    values = list(iter_jsonl(data, path))  # MalformedFile names a line that is not UTF-8 JSON
    head = values[0][1] if values else {}
    if isinstance(head, dict) and "messages" in head and "answer" not in head:
        return read_messages(values, path)
    if isinstance(head, dict) and head and not {"question", "answer"} & set(head):
        raise DataError(f"{path}: neither an interview file (id, question, answer) nor messages JSONL ({{\"messages\": [...]}} a line):"
                        f" its first record has {', '.join(sorted(head)[:8])}; convert it to messages JSONL")
    records = DatasetFile(path).parse(data)
    check_unique([r.id for r in records], path)
    return [Conversation(turns[0].conversation or turns[0].id, turns) for turns in conversations(records)]


def read_messages(values: Sequence[tuple[int, object]], path: Path) -> list[Conversation]:
    """OpenAI `messages` JSONL, as TRL, axolotl, LLaMA-Factory and `synth export` write it: one
    conversation a line, {"messages": [...], "id"?: str}. A line's own system message is kept.
    `values`: (line number, parsed line), as records.iter_jsonl gives them."""
    found = []
    for number, data in values:
        try:
            if not isinstance(data, dict) or "messages" not in data:
                raise chat.NotAConversation('not an object with a "messages" list')
            system, turns = chat.parse(data["messages"])
        except chat.NotAConversation as e:
            raise DataError(f"{path}:{number}: not a messages conversation ({e}): {dumps(data)[:120]}; fix or delete that line") from None
        cid = str(data.get("id") or f"{path.stem}-{number}")
        many = len(turns) > 1
        records = tuple(
            Record(id=f"{cid}#{k}" if many else cid, question=q, answer=a, source={"file": path.name, "line": number},
                   status="accepted", conversation=cid if many else None, position=k)
            for k, (q, a) in enumerate(turns, start=1)
        )
        found.append(Conversation(cid, records, system))
    check_unique([c.id for c in found], path)
    return found


def check_unique(ids: list[str], path: Path) -> None:
    repeated = [i for i, n in Counter(ids).items() if n > 1]
    if repeated:
        raise DataError(f"{path}: id {repeated[0]!r} appears {ids.count(repeated[0])} times: give every record its own id (the same example must not be both trained on and held out)")


def usable(conversations_: list[Conversation], only_reviewed: bool = False) -> Selection:
    """Each conversation cut before its first unusable turn (see the module docstring); empty ones dropped."""
    keep = keep_statuses(only_reviewed)
    kept, excluded, empty = [], 0, 0
    for conv in conversations_:
        turns, unrejected = [], usable_turns(conv.turns)
        excluded += len(conv.turns) - len(unrejected)
        for n, record in enumerate(unrejected):
            if record.status not in keep:
                excluded += len(unrejected) - n
                break
            if not (record.question.strip() and record.answer.strip()):
                empty += len(unrejected) - n
                break
            turns.append(record)
        if turns:
            kept.append(Conversation(conv.id, tuple(turns), conv.system))
    return Selection(kept, excluded, empty)


def split(items: list, eval_share: float, seed: int) -> tuple[list, list]:
    """(train, held out): a seeded shuffle, the first share held out. From 25 on, at least
    MIN_HELD_OUT are held out: `train eval` needs that many for an interval."""
    shuffled = random.Random(seed).sample(items, len(items))
    n_eval = max(1, round(len(shuffled) * eval_share), MIN_HELD_OUT if len(shuffled) >= 5 * MIN_HELD_OUT else 0)
    return shuffled[n_eval:], shuffled[:n_eval]


def records(path: Path) -> list[Record]:
    """Every record of `path` in either format (what `train eval` measures passages with)."""
    return [r for c in read(path) for r in c.turns]


PAIRS_SIDECAR = "pairs.jsonl"  # interview.jsonl -> interview.pairs.jsonl
DEFAULT_SYSTEM = object()  # `pairs`' default: the system message train run uses by default


@dataclass(frozen=True)
class Pair:
    """A preference pair: the conversation up to and including the chosen turn (the author's
    passage), and the base model's answer to the same prompt."""

    id: str  # the record id of the chosen turn
    conversation: Conversation
    rejected: str
    stopped: bool = True  # whether the rejected answer ended at the end marker (False: cut at the token limit)

    def prompt(self, system: str | None) -> list[chat.Message]:
        """The SFT prompt of the chosen turn: the conversation's messages minus its last answer."""
        return self.conversation.messages(system)[:-1]

    @property
    def chosen(self) -> str:
        return self.conversation.turns[-1].answer


def pair_key(prompt: list[chat.Message], model: str, sampling: dict) -> str:
    """What a rejected answer depends on: the exact prompt messages, the model and its sampling."""
    settings = json.dumps({"prompt": prompt, "model": model, "sampling": sampling}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(settings.encode()).hexdigest()[:16]


def turn_prefixes(selection: Selection) -> list[Conversation]:
    """Every usable turn as the conversation that ends with it (a pair's conversation), in file order."""
    return [Conversation(c.id, c.turns[:n], c.system) for c in selection.conversations for n in range(1, len(c.turns) + 1)]


def unanswered_pairs(path: Path, only_reviewed: bool = False) -> list[Pair]:
    """One Pair per usable turn (the SFT selection), its rejected side still empty: for a rejected
    answer made later by another model (train's preference stage, `--rejected own`)."""
    return [Pair(conv.turns[-1].id, conv, "") for conv in turn_prefixes(usable(read(path), only_reviewed))]


def pair_lines(path: Path) -> dict[str, dict]:
    """The pairs sidecar of `path`, the last line for each record id ({} for no file); a torn last
    line (a kill mid-write) is ignored, any other bad line is MalformedFile naming it."""
    sidecar = DatasetFile(path).sidecar(PAIRS_SIDECAR)
    if not sidecar.exists():
        return {}
    lines = {}
    for number, value in iter_jsonl(whole_lines(sidecar.read_bytes()), sidecar):
        if not (isinstance(value, dict) and isinstance(value.get("id"), str) and isinstance(value.get("rejected"), str)):
            raise DataError(f"{sidecar}:{number}: not a pair line ({{\"id\", \"key\", \"rejected\", \"model\", \"sampling\"}}): {dumps(value)[:120]}; fix or delete that line")
        lines[value["id"]] = value
    return lines


def is_current(line: dict | None, prompt: list[chat.Message]) -> bool:
    """Whether a pair line was made for exactly this prompt (and has an answer)."""
    return (line is not None and bool(line["rejected"].strip())
            and line.get("key") == pair_key(prompt, str(line.get("model")), line.get("sampling") or {}))


def pairs(path: Path, only_reviewed: bool = False, system: str | None | object = DEFAULT_SYSTEM) -> list[Pair]:
    """One Pair per usable turn (the SFT selection: a turn rejected in review has none) whose pair
    line is current for its prompt under `system` (default: train run's default system message),
    in file order. DataError if the file has no pairs sidecar."""
    if system is DEFAULT_SYSTEM:
        from voicetune import config

        system = system_message(config.SYSTEM_PROMPT, config.PERSONA)
    sidecar = DatasetFile(path).sidecar(PAIRS_SIDECAR)
    if not sidecar.exists():
        raise DataError(f"{path}: no {sidecar.name} beside it: make the preference pairs first (synth pairs {path})")
    lines = pair_lines(path)
    found = []
    for conv in turn_prefixes(usable(read(path), only_reviewed)):
        line = lines.get(conv.turns[-1].id) or {}
        pair = Pair(conv.turns[-1].id, conv, line.get("rejected", ""), line.get("stopped") is not False)
        if is_current(lines.get(pair.id), pair.prompt(system)):
            found.append(pair)
    return found
