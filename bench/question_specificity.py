"""Do the generated questions point to their own passage? recall@1 and MRR of the passage among the
book's passages, ranked by MiniLM cosine and, independently, by BM25 over words, for each way of
generating, with the synth wall time of each (engine start excluded; one engine for all ways).

    .venv/bin/python bench/question_specificity.py [--ways baseline,select] [--sherlock 100]
    .venv/bin/python bench/question_specificity.py --score data/memoir/interview.jsonl ...

--score measures files `synth run` wrote, without a model (issue 24's before/after): MRR by both
measures over the file's own passages, the share of records whose question passes every check of
synth/generation/natural.py (a record without a question fails), the share failing each, the
share made from key terms, replies judged per record and the seconds, from the manifest beside it.

Books: the sample memoir (all 28 passages) and the first --sherlock passages of the Sherlock Holmes
PDF in ../shared/corpora (skipped when absent). Every way samples at temperature 0.7, so figures
move by up to 0.1 from run to run on 28 passages; a record without a question counts 0. The
baseline is generation as it was before issue 16 (its prompt, one reply, top_p 0.95, 96 tokens);
`default` is `synth run`'s default. Goal (issue 16): MRR >= 0.35 on both books by both
measures at <= 1.5x the baseline's time.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from functools import lru_cache
import time
from dataclasses import fields, replace
from pathlib import Path
from string import Template

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth import pipeline, synthesis  # noqa: E402
from voicetune import embed, prompts
from synth.generation import natural, specificity
from voicetune.dataset import DatasetFile  # noqa: E402
from synth.config import SynthConfig  # noqa: E402
from voicetune.engine import Sampling, VLLMEngine  # noqa: E402
from synth.generation.generate import generate  # noqa: E402
from synth.generation.job import Job  # noqa: E402
from voicetune.models import compute_dtype, dtype_name, resolve  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DRAW_SEED = 24  # the blind read's draw (issue 24)
MEMOIR = ROOT / "data" / "sample" / "memoir.pdf"
SHERLOCK = ROOT.parent / "shared" / "corpora" / "pdf" / "01_book_sherlock-holmes_tex-ligatures-hyphenation-headers.pdf"


def ways() -> dict[str, dict]:
    """name -> Job settings and whether to rank. `baseline`: generation as it was before issue 16.
    `default`: what `synth run` does with its default options."""
    base = dict(template=QUESTION_BEFORE, sampling=BEFORE, model="bench", retries=2)
    default = synthesis.job_for(SynthConfig(), "bench")
    return {
        "baseline": dict(job=base, rank=False),
        **{name: dict(job={**base, **settings}, rank=rank) for name, (settings, rank) in VARIANTS.items()},
        "default": dict(job={f.name: getattr(default, f.name) for f in fields(default) if f.name != "ranker"}, rank=True),
    }


# Generation as it was before issue 16: the question prompt without $topics, nucleus sampling, one reply.
BEFORE = Sampling(temperature=0.7, top_p=0.95, max_tokens=96)
# The question prompt of issue 16 (prompts/question.txt until issue 24 asked for an interviewer's
# openings), which names the passage's key terms ($topics: specificity.key_terms); the ways below vary it.
TOPIC = Template("""You are a journalist interviewing $persona about their life. Earlier they told you:
\"\"\"
$context
\"\"\"

Then they said:
\"\"\"
$passage
\"\"\"

Write the one short question you asked them just before they said this, the question their words answer perfectly. Speak to them as "you". Ask about feelings, motives or how they saw things rather than bare facts, and do not give the answer away. Their words are about $topics: name one of these in your question. Reply with the question only.
""")
QUESTION = TOPIC.template.replace(" Their words are about $topics: name one of these in your question.", "")
QUESTION_BEFORE = Template(QUESTION)
# A worked example: small models imitate a demonstration better than they follow an instruction.
EXAMPLE = Template(QUESTION.replace("Reply with the question only.", """Name what the passage is about (a person, a place, an event, a thing) in the question, so that it could only be answered by this passage. For example, if they said "My father sold the boat the winter I turned twelve, and I never forgave him for it.", a good question is "How did you feel when your father sold the boat?"; a bad one is "How did you feel?". Reply with the question only."""))
# The first sentence as a hint: the question should lead straight into it.
HINT = Template(QUESTION.replace("Reply with the question only.", """Their answer begins with: "$first". Ask the question that these words answer, naming what they are about. Reply with the question only."""))
# Candidates cut at their first "?" and at 40 tokens; max_rank 0: ranked and picked, never retried for rank.
STOP8 = replace(BEFORE, n=8, stop=("?",), max_tokens=40)
MINP8 = replace(STOP8, top_p=1.0, min_p=0.05)  # min_p instead of top_p: no sort of the vocabulary on a CPU
VARIANTS: dict[str, tuple[dict, bool]] = {  # name -> (Job settings over the baseline's, rank with MiniLM); the README's steps
    "example": ({"template": EXAMPLE}, False),
    "hint": ({"template": HINT}, False),
    "topic-stop": ({"template": TOPIC, "sampling": replace(BEFORE, stop=("?",))}, False),
    "sel4-stop": ({"sampling": replace(BEFORE, n=4, stop=("?",)), "max_rank": 0}, True),
    "sel8-stop-40": ({"sampling": STOP8, "max_rank": 0}, True),
    "topic+sel8-stop-40": ({"template": TOPIC, "sampling": STOP8, "max_rank": 0}, True),
    "topic+sel8-minp": ({"template": TOPIC, "sampling": MINP8, "max_rank": 0}, True),
    "topic+sel8-minp-r5": ({"template": TOPIC, "sampling": MINP8, "max_rank": 5}, True),
}


def checks(records) -> tuple[float, Counter]:
    """The share of records whose question passes every check (natural.py), and how many fail each
    (a record without a question fails as `no_question`); each judged with the passage before it."""
    answers = {r.id: r.answer for r in records}
    failed: Counter = Counter()
    passed = 0
    for r in records:
        found = natural.faults(r.question, r.answer, answers.get(r.context_id or "", "")) if r.question.strip() else ["no_question"]
        failed.update(found)
        passed += not found
    return passed / len(records), failed


TRANSCRIPTS = {  # real interviews in ../shared/corpora and whose answers they hold: their questions are the register's reference
    "02_changelog_founders-talk-7_henk-rogers_podcast-interview.md": "Henk Rogers",
    "10_whitehouse_briefing-2025-01-29_leavitt_bare-Q-nbsp.md": "MS. LEAVITT",
    "11_whitehouse_briefing-2021-07-19_psaki_bare-Q-ascii-space.md": "MS. PSAKI",
}


@lru_cache(maxsize=1)
def interviewers():
    """MiniLM vectors of the real interviewers' questions (one question sentence each), or None without the corpora."""
    from synth.generation.judge import candidates

    folder = SHERLOCK.parents[1] / "transcripts"
    if not folder.exists():
        return None
    found = [q for name, persona in TRANSCRIPTS.items() for p in pipeline.passages(folder / name, pipeline.SegmentOptions(persona=persona)) for q in candidates(p.question or "")]
    return embed.embed(found)


def register(questions) -> float | None:
    """Mean over the questions of the MiniLM cosine to the nearest real interviewer's question."""
    reference, asked = interviewers(), [q for q in questions if q.strip()]
    if reference is None or not asked:
        return None
    return (embed.embed(asked) @ reference.T).max(dim=1).values.mean().item()


def estimated_replies(path: Path, records, candidates: int) -> int:
    """Replies of a file made before the manifest counted them (issue 24): `candidates` per request,
    each record's requests its last try in the rejects log (1 if none). The records of this code, which
    count them, give the same figure within 1%."""
    last: dict[str, int] = {}
    for line in DatasetFile(path).rejects.read_text().splitlines():
        reject = json.loads(line)
        last[reject["id"]] = max(last.get(reject["id"], 1), reject["attempt"])
    return candidates * sum(last.get(r.id, 1) for r in records)


def score(path: Path) -> None:
    """One `synth run` output, measured offline; its manifest gives the replies and the seconds."""
    records = DatasetFile(path).read()
    texts = [r.answer for r in records]
    own, questions = list(range(len(records))), [r.question for r in records]
    by_minilm = specificity.measure(specificity.MiniLMRanker(texts), questions, own)
    by_bm25 = specificity.measure(specificity.BM25Ranker(texts), questions, own)
    share, failed = checks(records)
    manifest = json.loads(DatasetFile(path).manifest.read_text())
    counts = manifest["counts"]
    kept = sum(1 for r in records if r.question.strip())
    replies = counts.get("replies") or estimated_replies(path, records, manifest["sampling"]["n"])
    templates = sum(1 for r in records if r.question_source == "template")
    by_fault = ", ".join(f"{name} {n / len(records):.0%}" for name, n in failed.most_common())
    near = register(questions)
    print(f"{str(path):<48}{len(records):>5}  MiniLM MRR {by_minilm.mrr:.2f}  BM25 MRR {by_bm25.mrr:.2f}  pass {share:.1%}  "
          f"templates {templates / len(records):.0%}  replies/record {replies / len(records):.1f}  "
          f"{manifest['generating_s']:.0f} s generating, {manifest['elapsed_s']:.0f} s in all\n    fail: {by_fault or 'none'}"
          f"\n    register: {'-' if near is None else f'{near:.2f}'} (MiniLM cosine to the nearest real interviewer's question, mean)", flush=True)


def draw(path: Path, count: int, seed: int = DRAW_SEED, alternatives: bool = False) -> None:
    """The blind read's sample (README, "Reading questions as a reviewer"): `count` records drawn
    with random.Random(seed).sample from the file's records in file order, each question printed
    above the start of its passage, without its flags, source or scores; with `alternatives`, the
    record's alternatives under it (what review can take instead: README, "Alternatives")."""
    import random

    records = DatasetFile(path).read()
    for n, r in enumerate(random.Random(seed).sample(records, min(count, len(records))), start=1):
        also = "".join(f"\n    or: {q}" for q in r.alternatives) if alternatives else ""
        print(f"{n:>2}. Q: {r.question or '(none)'}{also}\n    A: {' '.join(r.answer.split())[:400]}\n")


def run_way(engine, passages, way: dict):
    job = Job(**way["job"])  # the ranker's start (MiniLM load, passages embedded) is counted below
    assert engine.llm.reset_prefix_cache(), "vLLM did not empty its prefix cache"  # no way reuses another's prefill
    started = time.perf_counter()
    if way["rank"]:
        embed._minilm.cache_clear()  # every ranked way pays for loading MiniLM, as a run does
        job = Job(**way["job"], ranker=specificity.MiniLMRanker)
    records, summary = generate(passages, lambda: engine, job)
    return records, summary, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ways", default=None, help=f"comma-separated, from: {', '.join(ways())} [all]")
    parser.add_argument("--sherlock", type=int, default=100, help="first N passages of the Sherlock Holmes PDF (0: skip)")
    parser.add_argument("--show", type=int, default=0, help="print this many questions of each way and book")
    parser.add_argument("--model", default=None)
    parser.add_argument("--score", nargs="+", type=Path, help="measure these synth run outputs instead (no model)")
    parser.add_argument("--draw", type=int, default=0, help="with --score: print this many records of each file, drawn at random (seeded), for a blind read")
    parser.add_argument("--alternatives", action="store_true", help="with --draw: print each record's alternatives under its question (the read of what review can take)")
    args = parser.parse_args()
    if args.score:
        for path in args.score:
            draw(path, args.draw, alternatives=args.alternatives) if args.draw else score(path)
        return
    chosen = {name: way for name, way in ways().items() if args.ways is None or name in args.ways.split(",")}
    books = [("memoir", pipeline.passages(MEMOIR, pipeline.SegmentOptions()))]
    if args.sherlock and SHERLOCK.exists():
        books.append((f"sherlock[:{args.sherlock}]", pipeline.passages(SHERLOCK, pipeline.SegmentOptions(limit=args.sherlock))))
    elif args.sherlock:
        print(f"(no {SHERLOCK}: Sherlock skipped)")
    model = resolve(args.model)
    engine = VLLMEngine(model)
    generate(books[0][1][:4], lambda: engine, Job(prompts.load("question"), model="warm-up", retries=0))  # the first batch runs slower
    rows = []
    for name, way in chosen.items():
        for book, passages in books:
            records, summary, seconds = run_way(engine, passages, way)
            texts = [p.text for p in passages]
            own = [texts.index(r.answer) for r in records]
            questions = [r.question for r in records]
            by_minilm = specificity.measure(specificity.MiniLMRanker(texts), questions, own)
            by_bm25 = specificity.measure(specificity.BM25Ranker(texts), questions, own)
            rows.append((name, book, len(records), by_minilm, by_bm25, seconds, summary.failed))
            for r in records[: args.show]:
                print(f"  {name} {book}: {r.question}")
            print(f"{name:<14}{book:<15}{len(records):>4}  MiniLM r@1 {by_minilm.recall_at_1:.2f} MRR {by_minilm.mrr:.2f}  "
                  f"BM25 r@1 {by_bm25.recall_at_1:.2f} MRR {by_bm25.mrr:.2f}  {seconds:6.1f} s  {summary.tokens} generated tokens", flush=True)
    print(f"\nmodel {Path(model).name} in {dtype_name(compute_dtype())}; baseline sampling {BEFORE}")
    print(f"{'way':<14}{'book':<15}{'recs':>5}{'MiniLM r@1':>11}{'MRR':>6}{'BM25 r@1':>10}{'MRR':>6}{'synth s':>9}{'x base':>8}{'no q':>6}")
    base = {book: seconds for name, book, *_, seconds, _ in rows if name == "baseline"}
    for name, book, n, m, b, seconds, failed in rows:
        ratio = f"{seconds / base[book]:.2f}" if book in base else "-"
        print(f"{name:<14}{book:<15}{n:>5}{m.recall_at_1:>11.2f}{m.mrr:>6.2f}{b.recall_at_1:>10.2f}{b.mrr:>6.2f}{seconds:>9.1f}{ratio:>8}{failed:>6}")


if __name__ == "__main__":
    main()
