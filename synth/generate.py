"""Passages -> interview records: render the prompt, stream every conversation through the
engine at once, judge each reply, save each record as soon as it is settled.

A re-run reuses every record whose passage and generation settings (prompt template text,
model, sampling) are unchanged, and every record a reviewer accepted, rejected or edited, and
generates only the rest; a pending record made with other settings is regenerated and replaced.
What the model answered unusably is retried with a new seed, and every rejected reply is kept,
with its reason, in the rejects file.
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

from synth import prompts, segment
from synth.engine import Engine, Message, Sampling
from synth.records import REVIEWED, Passage, Record

BOOK_START = "(Nothing yet: this is the start of the conversation.)"
MAX_QUESTION_CHARS = 300
CONTEXT_CHARS = 300
COPY_SHARE = 0.5  # a question sharing this much of its word trigrams with the passage gives it away

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_LABEL = re.compile(r"^\s*(?:[-*>#\d.)\s]+)?\**\s*(?:question|q|interviewer|journalist)\s*\d*\s*\**\s*[:\-]\s*\**", re.IGNORECASE)
_QUESTION = re.compile(r"[^.!?\n]*\?")
_QUOTES = "\"'\u201c\u201d\u2018\u2019`*"
# Questions about the interview itself rather than to the author ("What is the author's view of
# the passage?") are what small models produce when they lose the thread.
_META = re.compile(r"\b(interview(er)?|the author|author's|passage|the question|this question|the text)\b", re.IGNORECASE)


def context_tail(text: str, chars: int) -> str:
    """The last whole sentences of `text` that fit in `chars` (0: all of it). If the last sentence
    alone is longer, its end, from a word boundary, after an ellipsis."""
    if chars <= 0 or len(text) <= chars:
        return text
    for start in segment.sentence_ends(text)[:-1]:
        if len(text) - start <= chars:
            return text[start:].strip()
    cut = text[-chars:]
    return "\u2026" + cut.split(" ", 1)[-1].lstrip()


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


@dataclass(frozen=True)
class Job:
    """How questions are made: the prompt and everything a question depends on besides its
    passage (hashed into `key`), and how many records and tries each passage gets."""

    template: Template
    sampling: Sampling = Sampling()
    prompt: str = "question"  # the template's name, recorded with each question
    model: str = "model"
    persona: str = "the author"
    # The previous passage, as context, is cut to its last sentences within this many characters:
    # the question follows on from what was said just before, and a whole passage of up to
    # 2,000 characters would double the prompt, which costs more than the question on a CPU.
    context_chars: int = CONTEXT_CHARS
    per_passage: int = 1
    retries: int = 2

    def __post_init__(self):
        # Checked once per run: a template may leave out a variable, not ask for one we lack.
        missing = prompts.variables(self.template) - {"context", "passage", "persona"}
        if missing:
            raise prompts.MissingVariables(f"prompt template asks for ${', $'.join(sorted(missing))}; it can use $context, $passage and $persona")

    @property
    def key(self) -> str:
        """What a generated question depends on besides its passage."""
        settings = {"template": self.template.template, "model": self.model, "sampling": asdict(self.sampling), "persona": self.persona, "context_chars": self.context_chars}
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]

    def conversation(self, passage: Passage, previous: Passage | None) -> list[Message]:
        context = context_tail(previous.text, self.context_chars) if previous is not None else BOOK_START
        content = self.template.substitute(context=context, passage=passage.text, persona=self.persona)
        return [{"role": "user", "content": content}]


@dataclass
class Summary:
    generated: int = 0
    reused: int = 0
    from_transcript: int = 0
    failed: int = 0
    rejected_replies: Counter = field(default_factory=Counter)
    tokens: int = 0
    seconds: float = 0.0  # generating, engine start excluded
    uncounted: int = 0  # replies whose token count the backend did not say (an endpoint without `usage`)

    @property
    def tokens_per_second(self) -> float | None:
        return self.tokens / self.seconds if self.seconds and not self.uncounted else None


RETRY_SEED_STRIDE = 1_000_003  # retry k's per-request seeds never repeat an earlier attempt's


def record_id(passage: Passage, k: int) -> str:
    """The k-th question of a passage (-n > 1): the passage id, then id.2, id.3, ..."""
    return passage.id if k == 0 else f"{passage.id}.{k + 1}"


def generate(
    passages: Sequence[Passage],
    start_engine: Callable[[], Engine],
    job: Job,
    *,
    existing: dict[str, Record] | None = None,
    save: Callable[[Record], None] = lambda record: None,
    reject: Callable[[dict], None] = lambda rejected: None,
    progress: Callable[[int], None] = lambda n: None,
) -> tuple[list[Record], Summary]:
    """`job.per_passage` records per passage (one if the transcript gives the question), in
    passage order; each is passed to `save` as soon as it is settled. The engine is started only
    if some record needs a question."""
    key = job.key
    existing = existing or {}
    summary = Summary()
    units = [(i, k) for i, p in enumerate(passages) for k in range(1 if p.question is not None else job.per_passage)]
    records: dict[int, Record] = {}

    def settle(u: int, record: Record) -> None:
        records[u] = record
        save(record)
        progress(1)

    def make(u: int, question: str, flags: list[str], source: str) -> Record:
        i, k = units[u]
        p, generated = passages[i], source == "generated"
        return Record(
            id=record_id(p, k),
            question=question,
            answer=p.text,
            source=p.provenance,
            context_id=passages[i - 1].id if i else None,
            chapter=p.chapter,
            model=job.model if generated else None,
            prompt=job.prompt if generated else None,
            flags=flags,
            question_source=source,
            key=key if generated else None,
        )

    todo = []
    for u, (i, k) in enumerate(units):
        old, p = existing.get(record_id(passages[i], k)), passages[i]
        # A reviewed record is the reviewer's, whatever the settings now: reused untouched.
        if old is not None and (old.status in REVIEWED or old.key == key or old.question_source == "transcript"):
            records[u] = old
            summary.reused += 1
            progress(1)
        elif p.question is not None:
            settle(u, make(u, p.question, [], "transcript"))
            summary.from_transcript += 1
        else:
            todo.append(u)
    conversations = {u: job.conversation(passages[units[u][0]], passages[units[u][0] - 1] if units[u][0] else None) for u in todo}
    last_reason: dict[int, str] = {}
    engine = start_engine() if todo else None
    started = time.monotonic()
    for attempt in range(job.retries + 1):
        if not todo:
            break
        batch = [conversations[u] for u in todo]
        for j, reply in engine.stream(batch, replace(job.sampling, seed=job.sampling.seed + attempt * RETRY_SEED_STRIDE)):
            u = todo[j]
            if reply.tokens is None:
                summary.uncounted += 1
            else:
                summary.tokens += reply.tokens
            question, reason = judge(reply.text, passages[units[u][0]].text)
            if question is not None:
                settle(u, make(u, question, [], "generated"))
                summary.generated += 1
            else:
                last_reason[u] = reason
                summary.rejected_replies[reason] += 1
                reject({"id": record_id(passages[units[u][0]], units[u][1]), "attempt": attempt + 1, "reason": reason, "reply": reply.text})
        todo = [u for u in todo if u not in records]
    summary.seconds = time.monotonic() - started
    for u in todo:
        # Kept, not dropped: the passage is still the author's words; a reviewer can write the question.
        settle(u, make(u, "", ["no_question", last_reason[u]], "generated"))
        summary.failed += 1
    return [records[u] for u in range(len(units))], summary
