"""`synth pairs`: interview.jsonl -> interview.pairs.jsonl, the base model's own answer to every
usable turn's prompt, for preference tuning (chosen: the author's passage; rejected: this answer).

    interview.jsonl ─usable turns (train run's selection)─▶ SFT prompts ─vLLM, one batch─▶ interview.pairs.jsonl

The prompt is exactly the SFT prompt (voicetune/conversations.py builds both): the system
message train run uses, the earlier turns of the conversation (the author's own answers), then
the turn's question. The answer is written as train eval writes the base model's answers (greedy,
its frequency penalty and token limit), so a rejected answer is what the evaluation calls the
base model's. Each answer is appended as it finishes (a kill loses none, a torn last line is
dropped on the next run), and a turn whose line is current for its prompt, model and sampling is
reused: a re-run generates only what is missing or stale. The line format and the reader are in
voicetune/conversations.py.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from voicetune import chat
from voicetune.conversations import PAIRS_SIDECAR, Pair, pair_key, pair_lines, read, turn_prefixes, usable
from voicetune.dataset import DatasetFile
from voicetune.engine import Engine, Sampling
from voicetune.records import JsonlAppender, drop_torn_tail, write_jsonl


@dataclass
class PairsSummary:
    path: Path
    turns: int = 0  # usable turns, each with a current pair when the run ends
    generated: int = 0
    reused: int = 0
    unfinished: int = 0  # generated answers cut at the token limit rather than ended by the model
    tokens: int = 0
    seconds: float = 0.0


def wanted(path: Path, system: str | None) -> list[tuple[str, list[chat.Message]]]:
    """(record id, SFT prompt) of every usable turn, in file order (rejected records have none)."""
    return [(conv.turns[-1].id, Pair(conv.turns[-1].id, conv, "").prompt(system)) for conv in turn_prefixes(usable(read(path)))]


def make(path: Path, start: Callable[[], Engine], model: str, sampling: Sampling, *, system: str | None,
         progress: Callable[[int], None] = lambda n: None) -> PairsSummary:
    """Generate the missing or stale pairs of `path` in one batch on the engine `start()` gives
    (started only if something is missing), appending each as it finishes."""
    settings = asdict(sampling)
    prompts = wanted(path, system)
    lines = pair_lines(path)
    todo = [(rid, prompt, key) for rid, prompt in prompts if (lines.get(rid) or {}).get("key") != (key := pair_key(prompt, model, settings))]
    summary = PairsSummary(DatasetFile(path).sidecar(PAIRS_SIDECAR), len(prompts), reused=len(prompts) - len(todo))
    progress(summary.reused)
    if todo:
        drop_torn_tail(summary.path)  # a run killed mid-line: the next line must start on its own
        engine, started = start(), time.monotonic()
        with JsonlAppender(summary.path) as out:
            for i, generation in engine.stream([prompt for _, prompt, _ in todo], sampling):
                rid, _, key = todo[i]
                out({"id": rid, "key": key, "rejected": generation.text.strip(), "model": model, "sampling": settings,
                     "stopped": generation.finished, "tokens": generation.tokens})
                summary.generated += 1
                summary.unfinished += not generation.finished
                summary.tokens += generation.tokens or 0
                progress(1)
        summary.seconds = time.monotonic() - started
    compact(path)
    return summary


def compact(path: Path) -> None:
    """Rewrite the sidecar with one line per record (the newest) when earlier ones were superseded."""
    sidecar = DatasetFile(path).sidecar(PAIRS_SIDECAR)
    if not sidecar.exists():
        return
    lines = pair_lines(path)
    if sum(1 for line in sidecar.read_bytes().splitlines() if line.strip()) > len(lines):
        write_jsonl(sidecar, lines.values())
