"""Fidelity of segmentation on real files: does training get the persona's words, and only theirs?

    python bench/fidelity.py [CORPORA]        # default ../shared/corpora (its manifest.json names each file's persona)

One row a file, as `synth segment --persona NAME` reads it (extraction, repairs, segmentation; no
engine): passages; persona words kept / in the file; passages holding a sentence (6 words or more)
of another speaker; real questions; real questions over 60 words, and those holding an ad, a break or
a welcome (by the bench's own word list); timestamps and speaker labels left in passages; split-word
suspects per 10k words (bench/extract.py's broad rule); passages with a heading inside; paragraphs
removed as publisher boilerplate, with a sample; seconds. A file the tool refuses gets its one-line
error. Then the total seconds of extraction.

The expected words are NOT the code under test's: each transcript is parsed here by its own small
rule (TRANSCRIPTS, written against the file's bytes), which is the ground truth. "Words kept" is
the multiset overlap (each word counted at most as often as the truth has it) over the truth's
count. For a book, the truth is every word of the file's raw text (pypdf's plain text; the text of
every (X)HTML member of an EPUB; DOCX <w:t> runs; HTML with tags stripped), so front matter and
licences count as words not kept.
"""

from __future__ import annotations

import html
import json
import re
import sys
import tempfile
import time
import warnings
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

MIN_SENTENCE_WORDS = 6
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


def words(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.findall(text)


def sentences(text: str) -> list[str]:
    """Sentences of at least MIN_SENTENCE_WORDS words, as space-joined lowercase words."""
    found = (" ".join(words(s)) for s in re.split(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+", text))
    return [s for s in found if s.count(" ") + 1 >= MIN_SENTENCE_WORDS]


def strip_tags(text: str) -> str:
    text = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", text)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


# -- the independent parses: file -> [(speaker, text)] in order ------------------------------------


def _turns_by_label(text: str, label: str) -> list[tuple[str, str]]:
    """Split at each match of `label` (its group 1 the speaker): the text up to the next label is the speaker's."""
    marks = list(re.finditer(label, text, re.M))
    return [(m.group(1).strip(), text[m.end() : nxt.start() if nxt else len(text)]) for m, nxt in zip(marks, marks[1:] + [None])]


def briefing(raw: bytes) -> list[tuple[str, str]]:
    """White House: YAML front matter, then `MS. NAME:` turns (after NBSPs in 10) and bare `Q` + spaces
    (three NBSPs and a space in 10, one space in 11); time lines and `(Cross-talk.)` are no one's words."""
    text = raw.decode("utf-8").split("\n---\n", 1)[1]
    text = re.sub(r"(?m)^(?:END[\s\xa0]*)?\d{1,2}:\d\d [AP]\.M\. E[SD]T\s*$|^\(Cross-talk\.\)$", "", text)
    return _turns_by_label(text, r"^[\s\xa0]*(MS\. [A-Z]+|Q)(?::|(?=[\s\xa0]))[\s\xa0]")


def changelog(raw: bytes) -> list[tuple[str, str]]:
    """`**Name:**` at a paragraph's start; escaped timestamps `\\[01:20\\]` are no one's words."""
    text = re.sub(r"\\\[\d\d:\d\d(?::\d\d)?\\\]", " ", raw.decode("utf-8"))
    return _turns_by_label(text, r"^\*\*([^*\n]+):\*\*")


_RECORDER = re.compile(  # the record's own narration between speeches, two spaces in like a speech
    r"  (?:\(|Pending:|The (?:motion|amendment|bill|question|clerk|assistant|journal|legislative|yeas|result|resolution|preamble|title|Presiding Officer)\b"
    r"|.*as follows:\s*$|[^.]*\b(?:was|were) (?:agreed to|ordered|rejected|passed|read|laid)\b)",
    re.S,
)


def senate_html(raw: bytes) -> list[tuple[str, str]]:
    """GPO <pre>: a turn starts at `  Mr. NAME.` / `  The PRESIDING OFFICER.` (two spaces in); lines
    indented further are quoted bill text and the clerk's `... as follows:` paragraphs the record's."""
    text = strip_tags(raw.decode("utf-8"))
    text = re.sub(r"\[\[Page S\d+\]\]", " ", text)
    turns, speaker, label = [], "RECORD", re.compile(r"^  ((?:Mr|Ms|Mrs)\. (?:Mc|De)?[A-Z]+(?: of [A-Z][a-z]+)?|The (?:PRESIDING OFFICER|PRESIDENT pro tempore|ACTING PRESIDENT pro tempore))\. ")
    for paragraph in re.split(r"\n(?=  \S)|\n\s*\n", text):
        m = label.match(paragraph)
        if m:
            speaker, paragraph = m.group(1), paragraph[m.end() :]
        elif not paragraph.startswith("  ") or paragraph.startswith("   ") or _RECORDER.match(paragraph):
            turns.append(("RECORD", paragraph))
            if paragraph.startswith("  ") and not paragraph.startswith("   "):
                speaker = "RECORD"  # the clerk reads; the next label gives the floor back
            continue
        turns.append((speaker, paragraph))
    return turns


def senate_json(raw: bytes) -> list[tuple[str, str]]:
    """`content` items: `speaker` (the string "None" on non-speech), text starting with the label again."""
    items = json.loads(raw)["content"]
    return [(i["speaker"], re.sub(r"\[\[Page S\d+\]\]", " ", re.sub(r"^\s*" + re.escape(i["speaker"]) + r"\.", "", i["text"]))) for i in items]


def nasa(raw: bytes) -> list[tuple[str, str]]:
    """`[dd:hh:mm:ss]` line, maybe `_page :`/`_tape :` lines, then `CODE: text` (continuation lines
    indented); `[glossary:KEY|shown]` reads as `shown`, other [insertions] are the editor's."""
    text = re.sub(r"(?m)^\[-?[\d:]+\]$|^_(?:page|tape) :.*$", "", raw.decode("utf-8"))
    text = re.sub(r"\[glossary:[^|\]]*\|([^\]]*)\]", r"\1", text)
    text = re.sub(r"\[glossary:([^\]]*)\]", r"\1", text)
    return [(s, re.sub(r"\[[^\]]*\]", " ", t)) for s, t in _turns_by_label(text, r"^([A-Z][A-Za-z0-9 ]{0,12}):")]


def oral_history(raw: bytes) -> list[tuple[str, str]]:
    """`<strong>Name</strong>:` in the narrative section (some turns without <p>); [pause] etc. are not speech."""
    text = raw.decode("utf-8").split('<section id="narrative"', 1)[1].split('<section id="attribution"', 1)[0]
    text = re.sub(r"<strong><em>END OF TAPE</em></strong>", "", text)
    return [(s, re.sub(r"\[[^\]]*\]", " ", strip_tags(t))) for s, t in _turns_by_label(text, r"<strong>([^<]+)</strong>:")]


def picquet(raw: bytes) -> list[tuple[str, str]]:
    """`<em>A.</em>--"..."` paragraphs are Louisa Picquet's answers, `<em>Q.</em>--` the writer's
    questions (the emphasis sometimes runs on: `<em>A.--"No, sir;</em>`); other paragraphs are
    the writer's narration, except those opening with a quotation mark (her unlabelled quoted
    words, or letters): no one's here, so neither truth nor intruder. A paragraph that goes on
    with a quotation its answer opened and did not close, or with a sentence the paragraph break
    cut (`...the property</p><p>was sold`), is that answer's."""
    text = raw.decode("utf-8").split('<section id="narrative">', 1)[1]
    turns: list[tuple[str, str]] = []
    before, whose = "", "NARRATOR"  # the paragraph before, and whose it was (None: no one's)
    for paragraph in re.findall(r"(?s)<p>(.*?)</p>", text):
        m = re.match(r"\s*<em>([QA])\.?(?:</em>)?\s*--", paragraph)  # once, `<em>A</em>--` without its period
        body = strip_tags(paragraph[m.end() :] if m else paragraph)
        if m:
            whose = m.group(1) + "."
        elif whose != "NARRATOR" and _runs_on(before, body):
            pass  # the answer's, or no one's, as the paragraph it goes on from
        else:
            whose = None if body.lstrip().startswith(('"', "\u201c")) else "NARRATOR"
        before = body
        if whose:
            turns.append((whose, body))
    return turns


def _runs_on(before: str, paragraph: str) -> bool:
    """`paragraph` goes on with `before`: its quotation is still open, or its sentence unfinished."""
    before, paragraph = before.strip(), paragraph.strip()
    return before.count('"') % 2 == 1 or not before.endswith((".", "!", "?", '"', ":")) or paragraph[:1].islower()


def podcast_html(raw: bytes) -> list[tuple[str, str]]:
    """`<cite>Name:</cite>`, a `<time>` line, then `<p>text</p>`."""
    return [(s, strip_tags(re.sub(r"<time>[^<]*</time>", " ", t))) for s, t in _turns_by_label(raw.decode("utf-8"), r"<cite>([^<:]+):</cite>")]


def captions(raw: bytes) -> list[tuple[str, str]]:
    """WebVTT (BOM, CRLF) or SRT cues: timing lines, cue numbers and WEBVTT are no one's; a turn starts
    at `<v Name>` or `Name:` (Travis, Sarah, Gilon) and later cues continue it."""
    text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    text = re.sub(r"(?m)^WEBVTT$|^\d+$|^[\d:.,]+ --> [\d:.,]+$|</v>", "", text)
    text = re.sub(r"<v ([^>]+)>", r"\n\1:", text)
    return _turns_by_label(text, r"^\s*(Travis|Sarah|Gilon):")


def play(raw: bytes) -> list[tuple[str, str]]:
    """ISO-8859-1, CRLF; between Gutenberg's START and END lines a speech is a line of capitals ending
    in a period (`LILY.`, `MRS. UPJOHN.`, `JIMMIE, MRS. UPJOHN, AND ROPER.`; a `}` after it joins speeches
    said at once) then the speech. Stage directions are no one's words:
    `[_..._]`, a `[_` the file leaves open to its paragraph's end, a paragraph wholly in `_italics_`,
    and the act lines (`END OF THE FIRST ACT.`, `THE SECOND ACT`)."""
    text = raw.decode("latin-1").replace("\r\n", "\n")
    text = text.split("*** START OF THIS PROJECT GUTENBERG", 1)[1].split("*** END OF THIS PROJECT GUTENBERG", 1)[0]
    text = re.sub(r"\[_.*?_(?:\]|(?=\s*\n\s*\n))", " ", text, flags=re.S)
    text = re.sub(r"(?m)^_(?:[^\n]+\n)*?[^\n]*_\s*$", " ", text)
    text = re.sub(r"(?m)^\s*(?:END OF )?THE (?:FIRST|SECOND|THIRD|FOURTH) ACT\.?\s*$", " ", text)
    return _turns_by_label(text, r"^([A-Z][A-Z'., -]*[A-Z])\.[ \t]*(?:\}.*)?$")  # "JIMMIE, MRS. UPJOHN, AND ROPER.", "JIMMIE.   }" (said together)


def chevron_captions(raw: bytes) -> list[str]:
    """WebVTT with no names: the cue text (no WEBVTT line, no timing lines), cut into turns at each `>>`."""
    text = re.sub(r"(?m)^WEBVTT.*$|^[\d:.,]+ --> [\d:.,]+.*$", " ", raw.decode("utf-8-sig").replace("\r\n", "\n"))
    return re.split(r">>", text)


def cdp_sentences(raw: bytes) -> list[str]:
    """CouncilDataProject JSON: the `sentences`' `text` (the `words` list repeats it word by word), cut at each `>>`."""
    return re.split(r">>", " ".join(s["text"] for s in json.loads(raw)["sentences"]))


UNNAMED = {  # file name prefix -> its parse into turns whose speakers have no names
    "20_": chevron_captions,
    "21_": cdp_sentences,
}


TRANSCRIPTS = {  # file name prefix -> (its parse, the persona as its parse names it)
    "02_": (changelog, "Henk Rogers"),  # the manifest names no persona here; the interviewee
    "10_": (briefing, "MS. LEAVITT"),
    "11_": (briefing, "MS. PSAKI"),
    "12_": (senate_html, "Mr. McCONNELL"),
    "13_": (senate_json, "Mr. WARNER"),
    "14_": (nasa, "P"),
    "15_": (oral_history, "Fountain Hughes"),
    "16_": (picquet, "A."),
    "17_": (podcast_html, "Travis"),
    "18_": (captions, "Travis"),
    "19_": (captions, "Travis"),
    "22_": (play, "LILY"),
}


def transcript_truth(path: Path, persona: str) -> tuple[Counter, set[str]]:
    """(the persona's words, counted; the other speakers' sentences of 6 words or more), by the file's own parse."""
    parse, _ = TRANSCRIPTS[path.name[:3]]
    mine, said, others, own = Counter(), set(), set(), []
    for speaker, text in parse(path.read_bytes()):
        if speaker == persona:
            mine.update(words(text))
            said.update(sentences(text))
            own.append(f" {' '.join(words(text))} ")
        else:
            others.update(sentences(text))
    # a sentence both say is the persona's too, and so is one the persona's own turn holds word for word
    # ("Mr. President, I ask unanimous consent ..." inside "Madam President, I ask ...")
    return mine, {s for s in others - said if not any(f" {s} " in turn for turn in own)}


# -- books: every word of the file, and its headings, read without the code under test ----------


def book_text(path: Path) -> tuple[str, list[str]]:
    """(the file's raw text, its heading strings) by the plainest reading of its format."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader

        text = "\n".join((page.extract_text() or "") for page in PdfReader(path).pages)
        return text, _heading_lines(text)
    if suffix == ".docx":
        xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
        paragraphs = re.findall(r"(?s)<w:p[ >].*?</w:p>", xml)
        text = "\n".join(html.unescape("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", p))) for p in paragraphs)
        heads = [html.unescape("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", p))) for p in paragraphs if re.search(r'w:pStyle w:val="Heading', p)]
        return text, heads + _heading_lines(text)
    if suffix == ".epub":
        book = zipfile.ZipFile(path)
        members = [n for n in book.namelist() if re.search(r"\.x?html?$", n)]
        text = "\n".join(strip_tags(book.read(n).decode("utf-8", "replace")) for n in members)
        toc = " ".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".ncx") or re.search(r"(nav|toc)\.x?html?$", n))
        heads = re.findall(r"(?s)<text>(.*?)</text>", toc) + re.findall(r"(?s)<a [^>]*>(.*?)</a>", toc)
        return text, [strip_tags(h) for h in heads] + _heading_lines(text)
    raw = path.read_bytes()
    source = raw.decode("utf-8") if b"charset=iso-8859-1" not in raw[:2000].lower() else raw.decode("latin-1")
    heads = [strip_tags(h) for h in re.findall(r"(?is)<h[1-4][^>]*>(.*?)</h[1-4]>", source)]
    text = strip_tags(source)
    return text, heads + _heading_lines(text)


def _heading_lines(text: str) -> list[str]:
    return re.findall(r"(?m)^[ \t]*((?:CHAPTER|Chapter|LETTER|Letter|ACT|STAVE|PREFACE)\b[ \t]+[IVXLC\d]+\b.*?)\s*$", text)


def heading_strings(raw: list[str]) -> set[str]:
    """Headings worth looking for: whitespace-flattened, at least two words or eight characters."""
    flat = {" ".join(h.split()) for h in raw}
    return {h for h in flat if len(h) >= 8 or " " in h}


def heading_inside(heading: str, text: str) -> bool:
    """A heading left in a passage: a chapter label ("Chapter 8.") anywhere, a title on a line of its
    own, or glued after a sentence's end or a '#'. A title used in a sentence ("I pitied Frankenstein;",
    "Marley's Ghost held up its hand") is the author's prose, not a heading."""
    if heading not in text:
        return False
    if _heading_lines(heading):
        return True
    h = re.escape(heading)
    return bool(re.search(rf"(?m)^{h}\s*$|[.!?\"'\u201d\u2019]\s+{h}\s*$|#\s*{h}", text))


# -- the code under test, as `synth segment --persona NAME` calls it --------------------------------

LONG_QUESTION_WORDS = 60  # longer than anyone's question: a preamble, an ad read, a whole turn
# what a listener hears as an ad, a break or a welcome, not a question (the bench's own list, not the code's)
_AD = re.compile(
    r"sponsor|promo code|brought to you by|discount|free trial|\.(?:com|fm|io)/|patreon|subscribe|right back|word from"
    r"|(?:after|take) (?:the|this|a) (?:short |quick )?break|welcome (?:back )?to (?:the|our|this)|thanks? (?:you )?for (?:having|joining)",
    re.IGNORECASE,
)
_TIMESTAMP = re.compile(r"\[-?\d+(?::\d+)+\]|\\\[\d|\b\d{1,2}:\d\d:\d\d(?:[.,]\d+)?\b|-->|<time>")
_BOILERPLATE = re.compile(r"removed (\d+) paragraphs? of publisher boilerplate \(([\d,]+) characters\), e\.g\. (.*)$")


def segment(path: Path, name: str, persona: str | None):
    """(the Source, the seconds it took) or (the tool's one-line error, seconds)."""
    from synth import pipeline
    from voicetune.errors import BadInput

    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pipeline.read_source(path, name, pipeline.SegmentOptions(persona=persona)), time.perf_counter() - start
    except BadInput as e:
        return f"Error: {e}", time.perf_counter() - start
    except Exception as e:  # a crash is a finding too: the row says what it was
        return f"crash: {type(e).__name__}: {e}", time.perf_counter() - start


def measure(path: Path, name: str, persona: str | None) -> dict:
    from synth.repair import splitwords

    source, seconds = segment(path, name, persona)
    row = {"file": name, "persona": persona or "-", "seconds": seconds}
    if isinstance(source, str):
        return {**row, "error": " ".join(source.replace(str(path), path.name[:3] + "…").split())[:150]}
    texts = [p.text for p in source.passages]
    asked = [p.question for p in source.passages if p.question]
    flat = [" " + " ".join(words(t)) + " " for t in texts]
    found = Counter(w for t in texts for w in words(t))
    total_words = sum(found.values())
    if path.name[:3] in UNNAMED:  # every word is someone's; a passage should hold one turn's
        turns = UNNAMED[path.name[:3]](path.read_bytes())
        truth, heads = Counter(w for t in turns for w in words(t)), set()
        row["others"] = sum(1 for f in flat if _turns_in(f, turns) >= 2)
        row["labels"] = sum(t.count(">>") for t in texts)
    elif path.name[:3] in TRANSCRIPTS:
        truth, others = transcript_truth(path, TRANSCRIPTS[path.name[:3]][1])
        row["others"] = sum(1 for f in flat if any(f" {s} " in f for s in others))
        row["labels"] = sum(len(re.findall(_label_pattern(path), t)) for t in texts)
        heads = heading_strings(_heading_lines(path.read_bytes().decode("latin-1")))
    else:
        raw, head_list = book_text(path)
        truth, heads = Counter(words(raw)), heading_strings(head_list)
    kept = sum(min(n, found[w]) for w, n in truth.items())
    suspects = sum(splitwords.suspects("\n".join(texts), strict=False).values())
    boiler = next((m for note in source.notes if (m := _BOILERPLATE.search(note))), None)
    return {
        **row,
        "passages": len(texts),
        "kept": (kept, sum(truth.values())),
        "questions": sum(1 for p in source.passages if p.question),
        "long or ads": (sum(len(q.split()) > LONG_QUESTION_WORDS for q in asked), sum(bool(_AD.search(q)) for q in asked)),
        "timestamps": sum(len(_TIMESTAMP.findall(t)) for t in texts),
        "suspects": 1e4 * suspects / max(total_words, 1),
        "headings": sum(1 for t in texts if any(heading_inside(h, t) for h in heads)),
        "boilerplate": (int(boiler.group(1)), boiler.group(3)[:50]) if boiler else (0, ""),
        "speakers": source.speaker,
    }


def _turns_in(flat: str, turns: list[str]) -> int:
    """How many of `turns` a passage holds a sentence of (sentences said in one turn only)."""
    said = Counter(s for t in turns for s in set(sentences(t)))
    return sum(1 for t in turns if any(said[s] == 1 and f" {s} " in flat for s in sentences(t)))


def _label_pattern(path: Path) -> str:
    """A speaker label as the file writes it, left inside a passage's text."""
    return {
        "02_": r"\*\*[^*\n]+:\*\*", "10_": r"(?m)\bMS\. LEAVITT:|^Q\s", "11_": r"(?m)\bMS\. PSAKI:|^Q\s",
        "12_": r"\b(?:Mr|Ms|Mrs)\. (?:Mc|De)?[A-Z]{3,}\.|The PRESIDING OFFICER\.", "13_": r"\b(?:Mr|Ms|Mrs)\. [A-Z]{3,}\.|The PRESIDING OFFICER\.",
        "14_": r"(?m)^(?:P|CC|CT|R|S|SY|G):|\b(?:CC|CT|SY): ", "15_": r"\b(?:Fountain Hughes|Hermond Norwood):", "16_": r"\b[QA]\.--",
        "17_": r"\b(?:Travis|Sarah|Gilon):", "18_": r"<v |\b(?:Travis|Sarah|Gilon):", "19_": r"\b(?:Travis|Sarah|Gilon):",
        "22_": r"(?m)^[A-Z][A-Z'. -]*[A-Z]\.$",
    }[path.name[:3]]


# -- the table --------------------------------------------------------------------------------------

COLUMNS = "| file | persona | passages | persona words kept / in file | with another speaker's words | real questions | questions over 60 words + ads | timestamps + labels left | split suspects /10k words | headings inside | boilerplate removed (sample) | s |"


def table_row(row: dict) -> str:
    short = row["file"].split("/")[-1][:32]
    if "error" in row:
        return f"| {short} | {row['persona']} | {row['error']} | | | | | | | | | {row['seconds']:.1f} |"
    kept, truth = row["kept"], row["kept"][1]
    transcript = "others" in row
    boiler = f"{row['boilerplate'][0]} ({row['boilerplate'][1]!r})" if row["boilerplate"][0] else "0"
    return (
        f"| {short} | {row['persona']} | {row['passages']} | {kept[0]:,} / {truth:,} ({100 * kept[0] / max(truth, 1):.0f}%) | "
        f"{row['others'] if transcript else '-'} | {row['questions']} | {row['long or ads'][0]} + {row['long or ads'][1]} | {row['timestamps']} + {row['labels'] if transcript else '-'} | "
        f"{row['suspects']:.1f} | {row['headings']} | {boiler} | {row['seconds']:.1f} |"
    )


@click.command()
@click.argument("corpora", type=click.Path(exists=True, file_okay=False, path_type=Path), default=ROOT.parent / "shared" / "corpora")
@click.option("--only", default=None, help="Only files whose name contains this.")
def main(corpora: Path, only: str | None):
    from synth.sources import cache

    manifest = json.loads((corpora / "manifest.json").read_text())
    entries = sorted(manifest, key=lambda e: Path(e["file"]).name)
    with tempfile.TemporaryDirectory() as tmp:
        cache.root = lambda: Path(tmp) / "cache"  # noqa: E731 (cold: never the user's cache)
        click.echo(f"Fidelity of `synth segment --persona NAME` on {corpora} ({len(entries)} files), {date.today()}\n")
        click.echo(COLUMNS)
        click.echo("|" + "---|" * COLUMNS.count(" | ") + "---|")
        total = 0.0
        for entry in entries:
            if only and only not in entry["file"]:
                continue
            name = Path(entry["file"]).name
            persona = TRANSCRIPTS[name[:3]][1] if name[:3] in TRANSCRIPTS else entry.get("persona")
            row = measure(corpora / entry["file"], name, persona)
            total += row["seconds"]
            click.echo(table_row(row))
    click.echo(f"\nExtraction and segmentation, all files: {total:.1f} s (cold cache)")


if __name__ == "__main__":
    main()
