"""Passages -> interview records: render the prompt, one batched engine call, clean the answers."""

from __future__ import annotations

import re
from dataclasses import replace
from string import Template
from typing import Sequence

from synth import prompts
from synth.engine import ChatFn, Message, Sampling
from synth.records import Passage, Record

BOOK_START = "(This passage opens the book; nothing comes before it.)"
MAX_QUESTION_CHARS = 300

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_LABEL = re.compile(r"^\s*(?:[-*>#\d.)\s]+)?\**\s*(?:question|q|interviewer|journalist)\s*\d*\s*\**\s*[:\-]\s*\**", re.IGNORECASE)
_QUESTION = re.compile(r"[^.!?\n]*\?")
_QUOTES = "\"'\u201c\u201d\u2018\u2019`*"


def conversation(template: Template, passage: Passage, previous: Passage | None) -> list[Message]:
    context = previous.text if previous is not None else BOOK_START
    return [{"role": "user", "content": prompts.render(template, context=context, passage=passage.text)}]


def clean_question(text: str) -> str | None:
    """The first question in a model's reply, without labels, quotes or reasoning; None if none.

    Small models often answer 'Question: "Why ...?" This question invites ...': keep the
    first sentence that ends in a question mark and drop everything around it.
    """
    text = _THINK.sub("", text)
    for line in text.splitlines():
        line = _LABEL.sub("", line).strip().strip(_QUOTES).strip()
        match = _QUESTION.search(line)
        if match:
            question = match.group(0).strip().strip(_QUOTES).strip()
            question = question[0].upper() + question[1:] if question else question
            return question if 1 < len(question) <= MAX_QUESTION_CHARS else None
    return None


def generate(
    passages: Sequence[Passage],
    chat: ChatFn,
    template: Template,
    sampling: Sampling,
    *,
    model: str,
    prompt: str,
    retries: int = 2,
) -> list[Record]:
    """One record per passage. Replies with no usable question are retried in one batch per
    round with a new seed; a passage that still has none keeps an empty question and the flag
    'no_question' so the reviewer sees it (train skips it)."""
    conversations = [conversation(template, p, passages[i - 1] if i else None) for i, p in enumerate(passages)]
    questions: list[str | None] = [None] * len(passages)
    todo = list(range(len(passages)))
    for attempt in range(retries + 1):
        replies = chat([conversations[i] for i in todo], replace(sampling, seed=sampling.seed + attempt))
        for i, reply in zip(todo, replies, strict=True):
            questions[i] = clean_question(reply.text)
        todo = [i for i in todo if questions[i] is None]
        if not todo:
            break
    return [
        Record(
            id=p.id,
            question=q or "",
            answer=p.text,
            source={"file": p.source, "pages": p.pages},
            context_id=passages[i - 1].id if i else None,
            chapter=p.chapter,
            model=model,
            prompt=prompt,
            flags=[] if q else ["no_question"],
        )
        for i, (p, q) in enumerate(zip(passages, questions))
    ]
