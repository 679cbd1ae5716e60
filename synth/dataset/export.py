"""interview.jsonl -> the formats other tools read: OpenAI `messages` JSONL (TRL, axolotl,
LLaMA-Factory read it as is), ShareGPT JSON, a Hugging Face `datasets` folder, or preference
pairs (with interview.pairs.jsonl from `synth pairs`) in TRL's conversational preference layout.

What is exported is what `train run` trains on: the trainer's own selection (rejected records
left out, each conversation cut before its first unusable turn), as multi-turn conversations,
with the system message the trainer would add; the `hf` folder is split into `train` and
`test` (held out) exactly as `train run` splits with the same --eval-share and --seed (before
it drops conversations over --max-length, which depends on the tokenizer). The selection and
split code is the trainer's (voicetune/conversations.py), so the two cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from voicetune import conversations, files
from voicetune.dataset import DatasetFile
from voicetune.records import write_jsonl

FORMATS = ("messages", "sharegpt", "hf", "preference")
SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}


@dataclass(frozen=True)
class Exported:
    path: Path
    conversations: int
    turns: int
    held_out: int | None = None  # hf only: conversations in the `test` split


def default_path(file: Path, format: str) -> Path:
    """interview.jsonl -> interview.messages.jsonl, interview.sharegpt.json, interview.hf/, interview.preference.jsonl"""
    return DatasetFile(file).sidecar(format + {"messages": ".jsonl", "sharegpt": ".json", "hf": "", "preference": ".jsonl"}[format])


def rows(file: Path, *, system: str | None, only_reviewed: bool = False) -> list[dict]:
    """{"id", "messages"} per conversation that training would use, in file order."""
    return [{"id": c.id, "messages": c.messages(system)} for c in conversations.usable(conversations.read(file), only_reviewed).conversations]


def sharegpt(row: dict) -> dict:
    return {"id": row["id"], "conversations": [{"from": SHAREGPT_ROLES[m["role"]], "value": m["content"]} for m in row["messages"]]}


def preference(file: Path, *, system: str | None, only_reviewed: bool = False) -> list[dict]:
    """TRL's conversational preference layout, one row per current pair (conversations.pairs):
    the SFT prompt as messages, and the author's answer and the base model's, each as a list of
    one assistant message."""
    answer = lambda text: [{"role": "assistant", "content": text}]  # noqa: E731
    return [{"prompt": p.prompt(system), "chosen": answer(p.chosen), "rejected": answer(p.rejected)}
            for p in conversations.pairs(file, only_reviewed, system=system)]


def export(file: Path, format: str, out: Path, *, system: str | None, only_reviewed: bool = False, eval_share: float = 0.1, seed: int = 42) -> Exported:
    if format not in FORMATS:
        raise ValueError(f"format {format!r} is not one of {', '.join(FORMATS)}")
    if format == "preference":
        found = preference(file, system=system, only_reviewed=only_reviewed)
        if not found:
            raise conversations.DataError(f"{file}: no current preference pair (none made for these records, this system message and"
                                          f" their questions yet): run synth pairs {file} with the same --persona and --system-prompt")
        write_jsonl(out, found)
        return Exported(out, len(found), len(found))  # one pair per turn: counted as a conversation each
    found = rows(file, system=system, only_reviewed=only_reviewed)
    turns = sum(len(r["messages"]) // 2 for r in found)
    out.parent.mkdir(parents=True, exist_ok=True)
    if format == "hf":
        files.refuse_links_in(out)  # save_to_disk writes into the folder: not through a link, nor into one inside it
        return Exported(out, len(found), turns, save_hf(found, out, eval_share=eval_share, seed=seed))
    if format == "messages":
        write_jsonl(out, found)
    else:
        files.write_text(out, json.dumps([sharegpt(row) for row in found], ensure_ascii=False, indent=1) + "\n")
    return Exported(out, len(found), turns)


def save_hf(found: list[dict], out: Path, *, eval_share: float, seed: int) -> int:
    """A DatasetDict with `train` and `test` as train run splits; returns the held-out count."""
    from datasets import Dataset, DatasetDict
    from datasets.utils.logging import disable_progress_bar

    if len(found) < 2:
        raise conversations.DataError(f"{len(found)} usable conversations: a train/held-out split needs at least 2")
    train, held_out = conversations.split(found, eval_share, seed)
    disable_progress_bar()  # a few hundred rows: the bars would be the only thing printed
    columns = lambda side: {"id": [r["id"] for r in side], "messages": [r["messages"] for r in side]}  # noqa: E731
    DatasetDict({"train": Dataset.from_dict(columns(train)), "test": Dataset.from_dict(columns(held_out))}).save_to_disk(str(out))
    return len(held_out)

