"""How questions are made (`Job`): the prompt templates and every setting a question depends on,
hashed into its `key`; the messages of a first turn, a follow-up and a repeat's retry; the sampling
of each try; and what a run reports (`Summary`).

A re-run reuses a record whose `key` is unchanged, so `Job.key` and `Job.turn_key` must stay
byte-identical for the same settings: a setting added later is left out of the key at its default.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from string import Template
from typing import Callable, Sequence

from voicetune import chat, prompts
from synth.repair import segment
from synth.generation import specificity
from voicetune.engine import Message, Sampling
from synth.document import Passage

# The interviewer's first words each reply begins with (synth run --openers). Left to write the whole
# question, a 135M model asked as the author, about the interview, or in a string of clauses; begun
# with these, it names what the passage opens with. Of the questions chosen in three blind reads of
# four openers (memoir, Sherlock, Frankenstein; issue 24's fourth round), a reviewer kept 10 of 26
# begun "How did you feel about", 9 of 26 "What do you remember about", 2 of 14 "What was it like"
# and 1 of 9 "Tell me about" (the last two were dropped).
OPENERS = ("How did you feel about", "What do you remember about")
ALTERNATIVES = 4  # the model's next-best questions a record keeps for review to take instead (keys 1-4 of the page)
BOOK_START = "(Nothing yet: this is the start of the conversation.)"
CONTEXT_CHARS = 300
AVOID_SHOWN = 8  # earlier questions listed as "do not ask again" on a duplicate's retry
RETRY_HEAT, RETRY_MAX_TEMPERATURE = 0.3, 1.0  # retry k samples at temperature + k * heat (up to the max)
RETRY_SEED_STRIDE = 1_000_003  # retry k's per-request seeds never repeat an earlier attempt's


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


def first_sentence(text: str) -> str:
    """The passage's first sentence (a hint some prompts give: the question should lead into it)."""
    return segment.split_sentences(text)[0] if text.strip() else ""


OPENING_CHARS = 200  # $opening: the passage's first sentences, at least one, up to about this many characters


def opening(text: str, chars: int = OPENING_CHARS) -> str:
    """The passage's first sentences, as many as fit in about `chars` (at least one): what an
    answer says first, so what the question it answers asks ($opening in a prompt)."""
    sentences = segment.split_sentences(text) if text.strip() else []
    taken = sentences[:1]
    for sentence in sentences[1:]:
        if len(" ".join(taken + [sentence])) > chars:
            break
        taken.append(sentence)
    return " ".join(taken)


def say_list(items: Sequence[str]) -> str:
    """"a, b and c" ($topics in a prompt)."""
    items = list(items)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


RankerFactory = Callable[[Sequence[str]], specificity.Ranker]  # the book's passages -> a ranker over them


@dataclass(frozen=True)
class Job:
    """How questions are made: the prompts and everything a question depends on besides its
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
    turns: int = 1  # the most turns (passages) of one conversation
    followup: Template | None = None  # the prompt of a conversation's later turns [prompts/followup.txt]
    avoid: Template | None = None  # appended to a duplicate's retry [prompts/avoid.txt]
    ranker: RankerFactory | None = None  # specificity: ranks the book's passages for a question
    max_rank: int = specificity.MAX_RANK  # with a ranker: a question whose passage ranks lower is retried (0: never; the best reply is still kept)
    # Judge every candidate by natural.py's checks: one with a fault is retried, and a unit whose
    # tries all have one gets a question from its key terms. `synth run` always sets it (every
    # backend); off, a question only has to pass judge.py's.
    checks: bool = False
    # An interviewer's first words: each request's reply is begun with one of them and the model
    # finishes it, so a small model asks as an interviewer does (to "you", one thing, about the
    # passage's opening) instead of writing the whole question. The candidates (`sampling.n`) are
    # spread over them; a unit is decided on all of them at once. Empty: the model writes it all.
    openers: tuple[str, ...] = ()
    # How many of the model's other faultless questions a record keeps (`alternatives`). Not in
    # the key: the question chosen does not depend on it.
    alternatives: int = ALTERNATIVES

    def __post_init__(self):
        # Checked once per run: a template may leave out a variable, not ask for one we lack.
        for name, template, known in (
            ("prompt", self.template, {"context", "passage", "persona", "first", "opening", "topics"}),
            ("follow-up", self.followup, {"history", "passage", "persona", "first", "opening", "topics"}),
            ("avoid", self.avoid, {"questions"}),
        ):
            missing = prompts.variables(template) - known if template is not None else set()
            if missing:
                raise prompts.MissingVariables(f"{name} template asks for ${', $'.join(sorted(missing))}; it can use ${', $'.join(sorted(known))}")
        if self.turns < 1:
            raise ValueError("turns must be at least 1")
        if self.turns > 1 and self.followup is None:
            object.__setattr__(self, "followup", prompts.load("followup"))

    @property
    def key(self) -> str:
        """What a generated question depends on besides its passage (and, for a follow-up, the
        conversation before it). A setting at its default is left out, so files made before it
        existed keep their keys."""
        defaults = {"n": 1, "stop": (), "frequency_penalty": 0.0, "min_p": 0.0}  # settings added later: at their default, not in the key
        sampling = {k: v for k, v in asdict(self.sampling).items() if k not in defaults or v != defaults[k]}
        settings = {"template": self.template.template, "model": self.model, "sampling": sampling, "persona": self.persona, "context_chars": self.context_chars}
        if self.ranker is not None:
            settings["max_rank"] = self.max_rank
        if self.checks:
            settings["checks"] = True
        if self.openers:
            settings["openers"] = list(self.openers)
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]

    def begun(self, messages: list[Message]) -> list[tuple[str | None, list[Message]]]:
        """The requests of one prompt: one per opener, the reply begun with it (None: no opener)."""
        if not self.openers:
            return [(None, messages)]
        return [(opener, [*messages, {"role": "assistant", "content": opener}]) for opener in self.openers]

    @property
    def request_sampling(self) -> Sampling:
        """`sampling` with its candidates spread over the openers (at least one each)."""
        return replace(self.sampling, n=-(-self.sampling.n // len(self.openers))) if self.openers else self.sampling

    @property
    def wants_topics(self) -> bool:
        return any("topics" in prompts.variables(t) for t in (self.template, self.followup) if t is not None)

    def context(self, previous: Passage | None) -> str:
        """What a first turn's prompt shows as $context: the end of the passage before, or BOOK_START."""
        return context_tail(previous.text, self.context_chars) if previous is not None else BOOK_START

    def conversation(self, passage: Passage, previous: Passage | None, topics: Sequence[str] = ()) -> list[Message]:
        content = self.template.substitute(context=self.context(previous), passage=passage.text, persona=self.persona, first=first_sentence(passage.text), opening=opening(passage.text), topics=say_list(topics))
        return chat.prompt(content)

    def follow_up(self, passage: Passage, history: Sequence[tuple[str, str]], topics: Sequence[str] = ()) -> list[Message]:
        """The prompt of a later turn: the conversation so far (question, answer) and the next passage."""
        lines = []
        for question, answer in history:
            if question:
                lines.append(f"You: {question}")
            lines.append(f"{self.persona[0].upper() + self.persona[1:]}: {context_tail(answer, self.context_chars)}")
        content = self.followup.substitute(history="\n".join(lines), passage=passage.text, persona=self.persona, first=first_sentence(passage.text), opening=opening(passage.text), topics=say_list(topics))
        return chat.prompt(content)

    def turn_key(self, history: Sequence[tuple[str, str]], context: str = BOOK_START) -> str:
        """A record's key: `key` and what its prompt shows besides its passage. A first turn's
        covers the context text (--min-chars or --pages change the passage before, and so the
        question); a follow-up's covers its prompt and every earlier turn."""
        if not history:
            return hashlib.sha256(json.dumps([self.key, context]).encode()).hexdigest()[:12]
        settings = [self.key, self.followup.template, list(map(list, history))]
        return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:12]


def avoiding(messages: list[Message], avoid: Template, questions: Sequence[str]) -> list[Message]:
    """A repeat's retry: the prompt with the earlier questions it repeated listed after it, as
    questions not to ask again (the first AVOID_SHOWN of them)."""
    note = avoid.substitute(questions="\n".join(f"- {q}" for q in questions[:AVOID_SHOWN]))
    return [{**messages[0], "content": messages[0]["content"].rstrip() + "\n\n" + note}]


def retry_sampling(sampling: Sampling, attempt: int) -> Sampling:
    """Try `attempt` (0: the first): a new seed, which only a GPU or a server honours, and a higher
    temperature, which varies the reply on a CPU too."""
    if attempt == 0:
        return sampling
    temperature = min(sampling.temperature + attempt * RETRY_HEAT, max(RETRY_MAX_TEMPERATURE, sampling.temperature))
    return replace(sampling, seed=sampling.seed + attempt * RETRY_SEED_STRIDE, temperature=round(temperature, 6))


@dataclass
class Summary:
    generated: int = 0
    reused: int = 0
    from_transcript: int = 0
    failed: int = 0
    templates: int = 0  # questions made from key terms when no reply had one a reviewer could keep (natural.template)
    replies: int = 0  # replies judged, the rejected included
    rejected_replies: Counter = field(default_factory=Counter)
    tokens: int = 0
    seconds: float = 0.0  # generating, engine start excluded
    uncounted: int = 0  # replies whose token count the backend did not say (an endpoint without `usage`)

    @property
    def tokens_per_second(self) -> float | None:
        return self.tokens / self.seconds if self.seconds and not self.uncounted else None
