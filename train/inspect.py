"""What training will see: one tokenized conversation with every token marked trained or masked,
and token-length statistics over the dataset against --max-length."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from train.data.chatml import IGNORE, Example


@dataclass(frozen=True)
class Lengths:
    count: int
    mean: float
    median: float
    longest: int
    trained_share: float  # trained tokens / all tokens
    over: list[int]  # tokens beyond the limit, one entry per record that exceeds it


def lengths(examples: list[Example], max_length: int) -> Lengths:
    sizes = [len(e.input_ids) for e in examples]
    trained = sum(e.trained_tokens for e in examples)
    return Lengths(len(sizes), statistics.mean(sizes), statistics.median(sizes), max(sizes), trained / sum(sizes),
                   sorted((n - max_length for n in sizes if n > max_length), reverse=True))


def marked(example: Example, tokenizer) -> str:
    """Masked tokens in [brackets], trained ones bare; a legend line first."""
    pieces, run, trained = [], [], None
    for token, label in zip(example.input_ids, example.labels):
        is_trained = label != IGNORE
        if trained is not None and is_trained != trained:
            pieces.append(_piece(run, trained, tokenizer))
            run = []
        run.append(token)
        trained = is_trained
    pieces.append(_piece(run, trained, tokenizer))
    return "".join(pieces)


def _piece(ids: list[int], trained: bool, tokenizer) -> str:
    text = tokenizer.decode(ids)
    return text if trained else f"[{text}]"


def report(example: Example, stats: Lengths, max_length: int, tokenizer) -> str:
    tokens = " ".join(f"{tokenizer.convert_ids_to_tokens(t)}{'' if l == IGNORE else '*'}" for t, l in zip(example.input_ids, example.labels))
    by = f"{stats.over[-1]}-{stats.over[0]}" if stats.over and stats.over[-1] != stats.over[0] else (stats.over or [0])[0]
    over = (f"{len(stats.over)} over --max-length {max_length} by {by} tokens:"
            " dropped and counted at training, never cut inside an answer") if stats.over else f"none over --max-length {max_length}"
    return "\n".join([
        f"record {example.id}: {len(example.input_ids)} tokens, {example.trained_tokens} trained",
        "[masked] trained:", marked(example, tokenizer), "",
        "token by token (* = trained):", tokens, "",
        f"{stats.count} conversations: tokens mean {stats.mean:.0f}, median {stats.median:.0f}, longest {stats.longest};"
        f" {stats.trained_share:.0%} of tokens trained; {over}",
    ])


def run(config, path, *, record_id: str | None = None, only_reviewed: bool = False) -> str:
    """The report for the conversations in `path` as `train run` would tokenize them; `record_id`
    picks a conversation by its id or by the id of any of its turns [the first]."""
    from voicetune import models
    from voicetune.conversations import DataError, read, system_message, usable
    from train.model import qlora
    from train.data.chatml import tokenize

    tokenizer, _ = qlora.load_tokenizer(models.resolve(config.base))
    system = system_message(config.system_prompt, config.persona)
    conversations = usable(read(path), only_reviewed).conversations
    if not conversations:
        raise DataError(f"{path}: no record with a question and an answer")
    shown = conversations[0] if record_id is None else next(
        (c for c in conversations if record_id == c.id or any(r.id == record_id for r in c.turns)), None)
    if shown is None:
        raise DataError(f"{path}: no usable conversation or record with id {record_id}")
    examples = [tokenize(c.id, c.messages(system), tokenizer) for c in conversations]
    example = next(e for e in examples if e.id == shown.id)
    turns = f"conversation of {len(shown.turns)} turns ({', '.join(r.id for r in shown.turns)}): " if len(shown.turns) > 1 else ""
    return turns + report(example, lengths(examples, config.max_length), config.max_length, tokenizer)
