"""What a reviewer wants to know about an interview.jsonl before reading it: counts by status and
flag, conversations, question and answer lengths, duplicate questions, how well the questions point
to their own passages (recall@1, MRR, the least specific first), which questions a reviewer would
not keep as written (synth/generation/natural.py's checks), and which records to look at first.

Pure functions over records; `synth stats FILE` prints `report(records)`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from synth.generation import natural, specificity
from voicetune.records import STATUSES, Record, conversations, usable_turns
from voicetune.words import STOPWORDS, words

NEAR_DUPLICATE = 0.8  # token Jaccard of two questions at or above which they count as near-duplicates
SHORT_QUESTION, LONG_QUESTION = 20, 200  # characters
ECHO_SHARE = 0.7  # a question whose content words are mostly in its answer may be leading or copied


def status_counts(records: list[Record]) -> dict[str, int]:
    counts = Counter(r.status for r in records)
    return {s: counts[s] for s in STATUSES}


def flag_counts(records: list[Record]) -> Counter:
    return Counter(flag for r in records for flag in r.flags)


def histogram(lengths: list[int], bins: int = 8, width: int = 40) -> list[str]:
    """Equal-width bins from the minimum to the maximum, one text bar each."""
    if not lengths:
        return ["  (none)"]
    low, high = min(lengths), max(lengths)
    step = max(1, -(-(high - low + 1) // bins))
    counts = Counter((n - low) // step for n in lengths)
    peak = max(counts.values())
    return [
        f"  {low + b * step:>6}-{low + (b + 1) * step - 1:<6} {counts[b]:>5} {'#' * max(1, round(counts[b] / peak * width)) if counts[b] else ''}"
        for b in range((high - low) // step + 1)
    ]


def near_duplicates(records: list[Record], threshold: float = NEAR_DUPLICATE) -> list[tuple[float, Record, Record]]:
    """Pairs of non-empty questions whose word sets have a Jaccard similarity >= threshold, most
    similar first. Quadratic in the worst case, pruned by set size (Jaccard >= t needs the smaller
    set to be at least t times the larger): fine for a few thousand records."""
    items = sorted(((frozenset(words(r.question)), r) for r in records if r.question.strip()), key=lambda x: len(x[0]))
    pairs = []
    for i, (a, ra) in enumerate(items):
        for b, rb in items[i + 1 :]:
            if len(a) < threshold * len(b):
                break
            union = len(a | b)
            score = len(a & b) / union if union else 1.0
            if score >= threshold:
                pairs.append((score, ra, rb))
    return sorted(pairs, key=lambda p: -p[0])


def echo_share(question: str, answer: str) -> float:
    """Share of the question's content words that also occur in the answer."""
    content = {w for w in words(question) if w not in STOPWORDS}
    return len(content & set(words(answer))) / len(content) if content else 0.0


def question_faults(records: list[Record]) -> dict[str, list[str]]:
    """id -> the checks of natural.py its question fails, judged now (so an older file, or a question
    edited in review, is judged too), with the passage before it (`context_id`) as its context."""
    answers = {r.id: r.answer for r in records}
    return {r.id: natural.faults(r.question, r.answer, answers.get(r.context_id or "", "")) for r in records if r.question.strip()}


def check_summary(records: list[Record], faults: dict[str, list[str]]) -> str:
    failed = Counter(f for found in faults.values() for f in found)
    passed = sum(1 for found in faults.values() if not found)
    by = ", ".join(f"{name} {failed[name]}" for name in natural.FAULTS if failed[name]) or "none"
    return f"Question checks: {passed} of {len(records)} records have a question that passes every check; failed: {by}"


def reasons(record: Record, duplicated: set[str], faults: list[str] = ()) -> list[str]:
    """Why a record is worth a look, most serious first."""
    found = [f"flag {flag}" for flag in record.flags]
    found += [f"question check: {fault}" for fault in faults if fault not in record.flags]
    q = record.question.strip()
    if not q:
        found.append("no question")
    elif len(q) < SHORT_QUESTION:
        found.append(f"short question ({len(q)} chars)")
    elif len(q) > LONG_QUESTION:
        found.append(f"long question ({len(q)} chars)")
    if record.id in duplicated:
        found.append("near-duplicate question")
    if record.specificity is not None and record.specificity < 1 / specificity.MAX_RANK:
        found.append(f"question points to other passages (its own ranks {round(1 / record.specificity)})")
    if q and echo_share(q, record.answer) >= ECHO_SHARE:
        found.append(f"question echoes the answer ({echo_share(q, record.answer):.0%} of its words)")
    return found


def retrieval(records: list[Record]) -> specificity.Retrieval:
    """recall@1 and MRR over every record, one without a specificity score counting 0 (specificity.Retrieval)."""
    return specificity.Retrieval.of([r.specificity for r in records])


def least_specific(records: list[Record]) -> list[Record]:
    """Scored records whose question points elsewhere (own passage not ranked first), least specific first."""
    return sorted((r for r in records if r.specificity is not None and r.specificity < 1.0), key=lambda r: r.specificity)


@dataclass(frozen=True)
class Conversations:
    count: int
    by_turns: dict[int, int]  # turns in a conversation -> how many conversations
    usable_turns: int  # turns before each conversation's first rejected one: what training can use


def conversation_counts(records: list[Record]) -> Conversations:
    groups = conversations(records)
    return Conversations(len(groups), dict(sorted(Counter(len(g) for g in groups).items())), sum(len(usable_turns(g)) for g in groups))


@dataclass(frozen=True)
class Look:
    record: Record
    reasons: list[str]


def worth_a_look(records: list[Record], pairs: list[tuple[float, Record, Record]], faults: dict[str, list[str]] | None = None) -> list[Look]:
    """Pending records with something to check, those with the most reasons first; reviewed ones
    have had their look."""
    duplicated = {r.id for _, a, b in pairs for r in (a, b)}
    faults = question_faults(records) if faults is None else faults
    looks = [Look(r, reasons(r, duplicated, faults.get(r.id, []))) for r in records if r.status == "pending"]
    # Most reasons first; among equals, the least specific question (the likeliest to point elsewhere).
    return sorted((look for look in looks if look.reasons), key=lambda look: (-len(look.reasons), _specificity(look.record)))


def _specificity(record: Record) -> float:
    return 1.0 if record.specificity is None else record.specificity


def _short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def report(records: list[Record], top: int = 10) -> str:
    pairs = near_duplicates(records)
    lines = ["By status: " + ", ".join(f"{s} {n}" for s, n in status_counts(records).items())]
    flags = flag_counts(records)
    lines.append("By flag: " + (", ".join(f"{f} {n}" for f, n in flags.most_common()) or "none"))
    convs = conversation_counts(records)
    if convs.count < len(records):  # a file with multi-turn interviews
        shape = ", ".join(f"{n} of {turns} turn{'s' if turns > 1 else ''}" for turns, n in convs.by_turns.items())
        lines.append(f"Conversations: {convs.count} ({shape}); {convs.usable_turns} turns usable for training (those before a conversation's first rejected turn)")
    lines += ["", "Question length (characters):", *histogram([len(r.question) for r in records if r.question.strip()])]
    lines += ["", "Answer length (characters):", *histogram([len(r.answer) for r in records])]
    lines += ["", f"Duplicate and near-duplicate questions (word overlap >= {NEAR_DUPLICATE:.0%}): {len(pairs)} pairs"]
    lines += [f"  {score:.0%}  {a.id}: {_short(a.question, 50)}  |  {b.id}: {_short(b.question, 50)}" for score, a, b in pairs[:top]]
    scored = retrieval(records)
    if scored.unscored < scored.count:  # some record was made with the ranker
        vague = least_specific(records)
        lines += ["", f"Specificity (own passage's rank among the book's for its question, MiniLM; over all {scored.count} records, "
                  f"{scored.unscored} without a score counted 0): recall@1 {scored.recall_at_1:.2f}, MRR {scored.mrr:.2f}",
                  f"Least specific questions first: {len(vague)} not ranked first"]
        lines += [f"  rank {round(1 / r.specificity):>3}  {r.id}: {_short(r.question)}" for r in vague[:top]]
    faults = question_faults(records)
    lines += ["", check_summary(records, faults)]
    looks = worth_a_look(records, pairs, faults)
    lines += ["", f"Worth a look first: {len(looks)} pending records" + (f" (the first {top})" if len(looks) > top else "")]
    lines += [f"  {look.record.id}  {_short(look.record.question) or '(empty)'}\n      {'; '.join(look.reasons)}" for look in looks[:top]]
    return "\n".join(lines)
