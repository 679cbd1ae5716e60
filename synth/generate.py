"""Passages -> interview records: render the prompt, stream every conversation through the
engine at once, judge each reply, save each record as soon as it is settled.

A re-run reuses every record whose passage and generation settings (prompt template text,
model, sampling) are unchanged, and generates only the rest; a record made with other settings
is regenerated and replaced. What the model answered unusably is retried with a new seed, and
every rejected reply is kept, with its reason, in the rejects file.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from string import Template
from typing import Callable, Sequence

from synth import prompts
from synth.engine import Engine, Generation, Message, Sampling
from synth.records import Passage, Record

BOOK_START = "(Nothing yet: this is the start of the conversation.)"
MAX_QUESTION_CHARS = 300
COPY_SHARE = 0.5  # a question sharing this much of its word trigrams with the passage gives it away

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_LABEL = re.compile(r"^\s*(?:[-*>#\d.)\s]+)?\**\s*(?:question|q|interviewer|journalist)\s*\d*\s*\**\s*[:\-]\s*\**", re.IGNORECASE)
_QUESTION = re.compile(r"[^.!?\n]*\?")
_QUOTES = "\"'\u201c\u201d\u2018\u2019`*"
# Questions about the interview itself rather than to the author ("What is the author's view of
# the passage?") are what small models produce when they lose the thread.
_META = re.compile(r"\b(interview(er)?|the author|author's|passage|the question|this question|the text)\b", re.IGNORECASE)


def conversation(template: Template, passage: Passage, previous: Passage | None) -> list[Message]:
    context = previous.text if previous is not None else BOOK_START
    return [{"role": "user", "content": prompts.render(template, context=context, passage=passage.text)}]


def candidates(text: str) -> list[str]:
    """Every question in a reply, without labels, quotes or reasoning blocks, in order."""
    found = []
    for line in _THINK.sub("", text).splitlines():
        line = _LABEL.sub("", line).strip().strip(_QUOTES).strip()
        for match in _QUESTION.finditer(line):
            # 'I would ask: "Why did you ...?' -> the quoted part is the question.
            question = re.split(r""":\s|["\u201c]""", match.group(0))[-1].strip().strip(_QUOTES).strip()
            if len(question) > 1:
                found.append(question[0].upper() + question[1:])
    return found


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def problem(question: str, passage: str) -> str | None:
    """Why a question is unusable, or None."""
    if len(question) > MAX_QUESTION_CHARS:
        return "too_long"
    if _META.search(question):
        return "about_the_interview"
    grams = _trigrams(question)
    if len(grams) >= 3 and len(grams & _trigrams(passage)) / len(grams) >= COPY_SHARE:
        return "gives_answer_away"
    return None


def judge(reply: str, passage: str) -> tuple[str | None, str | None]:
    """(question, None) or (None, reason). Rule for replies with several questions: the first
    one that passes every check wins, since models put their intended question first and add
    alternatives or follow-ups after it."""
    found = candidates(reply)
    if not reply.strip():
        return None, "empty"
    if not found:
        return None, "not_a_question"
    problems = [problem(q, passage) for q in found]
    for question, reason in zip(found, problems):
        if reason is None:
            return question, None
    return None, problems[0]


def clean_question(text: str) -> str | None:
    """The question a reply asks, judged without a passage (no copy check)."""
    return judge(text, "")[0]


def generation_key(template: Template, model: str, sampling: Sampling) -> str:
    """What a generated question depends on besides its passage."""
    settings = json.dumps({"template": template.template, "model": model, "sampling": asdict(sampling)}, sort_keys=True)
    return hashlib.sha256(settings.encode()).hexdigest()[:12]


@dataclass
class Summary:
    generated: int = 0
    reused: int = 0
    from_transcript: int = 0
    failed: int = 0
    rejected_replies: Counter = field(default_factory=Counter)
    tokens: int = 0
    seconds: float = 0.0  # generating, engine start excluded

    @property
    def tokens_per_second(self) -> float | None:
        return self.tokens / self.seconds if self.seconds else None


def generate(
    passages: Sequence[Passage],
    start_engine: Callable[[], Engine],
    template: Template,
    sampling: Sampling,
    *,
    prompt: str,
    model: str,
    retries: int = 2,
    existing: dict[str, Record] | None = None,
    save: Callable[[Record], None] = lambda record: None,
    reject: Callable[[dict], None] = lambda rejected: None,
    progress: Callable[[int], None] = lambda n: None,
) -> tuple[list[Record], Summary]:
    """One record per passage, in passage order; each is passed to `save` as soon as it is settled.
    The engine is started only if some passage needs a question."""
    key = generation_key(template, model, sampling)
    existing = existing or {}
    summary = Summary()
    records: dict[int, Record] = {}

    def settle(i: int, record: Record) -> None:
        records[i] = record
        save(record)
        progress(1)

    def make(i: int, p: Passage, question: str, flags: list[str], source: str) -> Record:
        generated = source == "generated"
        return Record(
            id=p.id,
            question=question,
            answer=p.text,
            source=p.provenance,
            context_id=passages[i - 1].id if i else None,
            chapter=p.chapter,
            model=model if generated else None,
            prompt=prompt if generated else None,
            flags=flags,
            question_source=source,
            key=key if generated else None,
        )

    todo = []
    for i, p in enumerate(passages):
        old = existing.get(p.id)
        if old is not None and (old.key == key or old.question_source == "transcript"):
            records[i] = old
            summary.reused += 1
            progress(1)
        elif p.question is not None:
            settle(i, make(i, p, p.question, [], "transcript"))
            summary.from_transcript += 1
        else:
            todo.append(i)
    conversations = {i: conversation(template, passages[i], passages[i - 1] if i else None) for i in todo}
    last_reason: dict[int, str] = {}
    engine = start_engine() if todo else None
    started = time.monotonic()
    for attempt in range(retries + 1):
        if not todo:
            break
        batch = [conversations[i] for i in todo]
        for j, reply in engine.stream(batch, replace(sampling, seed=sampling.seed + attempt)):
            i = todo[j]
            summary.tokens += reply.tokens
            question, reason = judge(reply.text, passages[i].text)
            if question is not None:
                settle(i, make(i, passages[i], question, [], "generated"))
                summary.generated += 1
            else:
                last_reason[i] = reason
                summary.rejected_replies[reason] += 1
                reject({"id": passages[i].id, "attempt": attempt + 1, "reason": reason, "reply": reply.text})
        todo = [i for i in todo if i not in records]
    summary.seconds = time.monotonic() - started
    for i in todo:
        # Kept, not dropped: the passage is still the author's words; a reviewer can write the question.
        settle(i, make(i, passages[i], "", ["no_question", last_reason[i]], "generated"))
        summary.failed += 1
    return [records[i] for i in range(len(passages))], summary
