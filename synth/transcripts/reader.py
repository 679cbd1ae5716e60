"""Transcripts -> turns -> the persona's passages, each with the interviewer's real question.

Reads speaker-labelled text (`Name: text`, `**Name:** text`), .srt and .vtt subtitles
(captions.py) and JSON or CSV lists of any schema (tables.py). Timestamps and stage notes ("[01:20]", "(Cross-talk.)") are not anyone's
words and are removed. A persona turn that answers a question keeps that question, so the
engine only writes questions for persona passages that have none.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from pathlib import Path

from synth.transcripts import captions, labels, markup, tables
from synth.transcripts.captions import clock
from synth.transcripts.normalise import normalise
from synth.transcripts.questions import real_question
from voicetune.errors import BadInput, InputWarning
from synth.transcripts.speakers import persona_name
from synth.sources import extract
from synth.sources.extract import check_file
from synth.document import Passage, Transcript, Turn
from synth.repair import boilerplate, clean
from synth.repair.segment import MAX_CHARS, MIN_CHARS, UniqueIds, split_spans
from synth.sources.textfile import read_text

_STAGE_WORDS = r"laugh|chuckl|crosstalk|cross-talk|inaudible|unintelligible|music|applause|silence|pause|sigh|cough|noise|overlap|indiscernible|static|beep"
# [laughs], [unintelligible 00:07:18.11], (Cross-talk.), (Laughter): editorial notes, not speech
_STAGE_NOTE = re.compile(
    rf"\\?\[[^\]\n]*(?:{_STAGE_WORDS})[^\]\n]*?\\?\]|\((?:[^)\n]*(?:{_STAGE_WORDS})[^)\n]*|[A-Z][a-z-]*(?: [a-z-]+){{0,2}}\.)\)",
    re.IGNORECASE,
)
# [_Modestly._], (_aside_), and a paragraph in italics: a play's stage directions (Gutenberg leaves
# a bracket open at a paragraph's end: "[_The men make way._")
_DIRECTION = re.compile(r"\\?\[_.*?_(?:\\?\]|(?=\s*(?:\n\s*\n|$)))|\(_[^)]*?_\)", re.DOTALL)
_DIRECTION_PARAGRAPH = re.compile(r"^\[?_.*_[.\]]?$", re.DOTALL)
# "[glossary:MAX Q|max. Q]", "[time:00:50:24|00 50 24]": an editor's link, read as the words it shows
_LINK = re.compile(r"\[[a-z]+:(?P<target>[^\]|\s][^\]|\n]*)(?:\|(?P<shown>[^\]\n]*))?\]")
REPLY_WORDS = 4  # "I-- I should like to.": a reply in dialogue, too little for an answer below this
_EDITORIAL = re.compile(r"\((?:[^()]|\([^()]*\))*\)\.?|\[(?:[^\[\]]|\[[^\[\]]*\])*\]\.?", re.DOTALL)  # a paragraph wholly in brackets
# a parliamentary record's own narration between speeches: "The amendment (No. 1293) was agreed to.", "The clerk read as follows:"
_PROCEEDINGS = re.compile(
    r"(?:The|An?)\s+(?:[\w-]+\s+){0,3}?(?:motion|amendments?|bill|question|resolution|nomination|report|clerk|yeas and nays|result|preamble|title|vote)\b"
    r"(?:\([^()\n]*\)|[^.:()\n]){0,80}?(?:\b(?:was|were)\s+(?:not\s+)?(?:agreed\s+to|rejected|ordered|passed|adopted|withdrawn|laid\s+on\s+the\s+table|read(?:\s+the\s+\w+\s+time)?)"
    r"(?:\s+by\s+unanimous\s+consent)?\.|\bas\s+follows:)\s*\Z"
)
# "Q. (BY MS. ORTIZ) Where were you?": a deposition says who examines; the examiner's words follow
_EXAMINER = re.compile(r"^\((?:BY|By)\s+[^()\n]{2,40}\)\s*")
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")


def parse(path: Path) -> Transcript:
    """Turns of a .txt/.md, .srt, .vtt, .json or .csv/.tsv transcript; consecutive turns of one
    named speaker merged. Turns without a speaker's name are said in a warning."""
    check_file(path)
    suffix = path.suffix.lower()
    guests: tuple[str, ...] = ()
    if suffix == ".json":
        raw = tables.json_turns(path)
    elif suffix in {".csv", ".tsv"}:
        raw = tables.csv_turns(path)
    else:
        text = normalise(source_text(path))
        raw = captions.subtitle_turns(text) if suffix in {".srt", ".vtt"} else labelled_turns(without_licence(text))
        guests = labels.guests(text)
    turns = merge_turns([(speaker, clean_speech(text), time) for speaker, text, time in raw])
    if not turns:
        raise BadInput(f"{path}: no turns found: label each turn like 'Name: text', or give .srt, .vtt, .json or .csv")
    captions.say_unnamed(path.name, turns)
    return Transcript(path, turns, guests)


DOCUMENT_SUFFIXES = {".pdf", ".docx"}  # an interview typeset as a document: its repaired lines are read for labels


def source_text(path: Path) -> str:
    """A transcript file's text; a web page's as a person sees it (markup.py); a PDF's or a DOCX's
    repaired lines (running heads, page numbers and printers' slugs dropped, split words joined),
    one a line, as a book's paragraphs are made from them."""
    suffix = path.suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:
        return "\n".join(line for _, line in clean.document_lines(extract.extract(path)))
    text = read_text(path)
    return markup.transcript_text(text) if suffix in markup.SUFFIXES else text


def labelled_turns(text: str) -> list[tuple[str, str, str | None]]:
    """(speaker, text, time) for each labelled turn. Unlabelled paragraphs continue the turn
    before them, but text before the first label (a title, a place and time), a heading and
    what follows it, and narration after a turn that was one closed quotation are no one's
    turn. A turn's time is the last timestamp at or before its start."""
    paragraphs = labels.blocks(text)
    speakers = labels.speakers(paragraphs)
    found = [labels.find(p) for p in paragraphs]
    marked_a = any(label and label.name == "A" and label.kind == "qa" for label in found)  # "A." answers: a bare "A" starts a sentence
    turns: list[list] = []
    now, open_turn = None, False
    for paragraph, label in zip(paragraphs, found):
        time, body = labels.lead_time(paragraph)
        now = time or now
        if label and label.name in speakers and not (marked_a and label.kind == "bare-a"):
            turns.append([label.name, label.rest, clock(now)])
            open_turn = True
        elif _EDITORIAL.fullmatch(body):
            pass  # "(At the request of Mr. Reid, ...)", "[00:00:00:03]": the editor's, and the turn goes on
        elif body.startswith("# ") or _PROCEEDINGS.match(body) or (turns and _closed_quote(turns[-1][1])):
            open_turn = False  # a heading, the record's narration, or narration after a quoted answer: the page's words, not a speaker's
        elif open_turn:
            turns[-1][1] += "\n\n" + body
        now = next((m.group("time") for m in reversed(list(labels.TIMESTAMP.finditer(body)))), now)
    return [tuple(t) for t in turns]


def without_licence(text: str) -> str:
    """A Project Gutenberg play without the header and licence around it: nobody's lines."""
    return "\n".join(line for _, line in boilerplate.strip_gutenberg([(0, line) for line in text.split("\n")]))


def _closed_quote(turn: str) -> bool:
    """A turn given as one quotation (`A.--"Yes; he had..."`) that has closed: what follows
    unlabelled is the writer's narration, not the speaker's (a quotation running on into a new
    paragraph leaves its close for the last one)."""
    text = turn.strip()
    return len(text) > 1 and text[0] in "\"\u201c\u00ab\u201e" and text.rstrip("*_")[-1] in "\"\u201d\u00bb"


def looks_like_transcript(text: str) -> bool:
    """Two or more speakers with two or more labelled turns each, labelling most paragraphs."""
    text = normalise(text)
    turns = labelled_turns(text)
    speakers = Counter(speaker for speaker, _, _ in turns)
    return sum(n >= 2 for n in speakers.values()) >= 2 and len(turns) >= 0.5 * len(labels.blocks(text))


def holds_dialogue(text: str, least: int = 3) -> bool:
    """`least` or more exchanges: a labelled turn followed straight away by another speaker's
    (a label alone on its line is followed by its text first). A book's recurring signature
    lines ("BEETHOVEN.") are labels too, but nobody answers them."""
    paragraphs = labels.blocks(normalise(text))
    speakers = labels.speakers(paragraphs)
    names: list[str | None] = []
    own_text = False
    for paragraph in paragraphs:
        label = labels.find(paragraph)
        speaker = label.name if label and label.name in speakers else None
        if own_text and not speaker:
            own_text = False  # the text of the label before it
            continue
        if own_text:
            names[-1] = None  # a label that got no text ("BEETHOVEN." then "FATHER.") is no turn
        names.append(speaker)
        own_text = bool(speaker and not label.rest.strip())
    return sum(1 for a, b in zip(names, names[1:]) if a and b and a != b) >= least


def clean_speech(text: str) -> str:
    """Speech without timestamps, stage notes and directions, headings between speeches (a
    play's "END OF THE FIRST ACT."), an examiner's name before a deposition's question,
    markdown emphasis and escapes."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", _EXAMINER.sub("", text.strip()))]
    mixed = bool(re.search(r"[a-z]", paragraphs[0]))  # in a transcript all in capitals, capitals are speech
    text = "\n\n".join(p for k, p in enumerate(paragraphs) if not (_DIRECTION_PARAGRAPH.match(p) or k and mixed and _heading(p)))
    text = _STAGE_NOTE.sub("\0", labels.TIMESTAMP.sub("\0", _DIRECTION.sub("\0", text)))
    text = _LINK.sub(lambda m: m.group("shown") if m.group("shown") is not None else m.group("target"), text)
    text = re.sub(r"[ \t]*\0[ \t]*(?=[,.!?;:])", "", text).replace("\0", " ")  # "yes (Laughs)." -> "yes."
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = _MARKDOWN_ESCAPE.sub(r"\1", text)
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def _heading(paragraph: str) -> bool:
    """Two or more words, no lower case, not a cry: a title between speeches."""
    return not re.search(r"[a-z]", paragraph) and len(paragraph.split()) >= 2 and not paragraph.rstrip().endswith(("!", "?"))


def merge_turns(raw: list[tuple[str, str, str | None]]) -> tuple[Turn, ...]:
    """Consecutive turns of one speaker become one turn (subtitles cut speech into cues); turns
    without a name ("") stay apart: a reader gives one only where a new speaker starts."""
    merged: list[list] = []
    for speaker, text, time in raw:
        if not text:
            continue
        if merged and merged[-1][0] == speaker and speaker:
            merged[-1][1] += " " + text
        else:
            merged.append([speaker, text, time])
    return tuple(Turn(i, speaker, text, time) for i, (speaker, text, time) in enumerate(merged, start=1))


def passages(
    transcript: Transcript, persona: str | None, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS, source: str | None = None
) -> list[Passage]:
    """The persona's turns as passages. A turn answering another speaker's question keeps the
    part of their turn that asks (questions.real_question; on its first passage, if it is split
    by max_chars). A turn of dialogue is a whole reply, so only one under min_chars that answers
    no question and has fewer than REPLY_WORDS words ("Roger.", "Beast!") is skipped."""
    name = persona if persona in {turn.speaker for turn in transcript.turns} else persona_name(transcript, persona)
    source = source or transcript.path.name
    ids, offset, skipped = UniqueIds(source), 0, 0
    result: list[Passage] = []
    previous: Turn | None = None
    for turn in transcript.turns:
        question = real_question(previous.text) if turn.speaker == name and previous and previous.speaker != name else None
        if turn.speaker == name and (question or len(turn.text) >= min_chars or len(turn.text.split()) >= REPLY_WORDS):
            result += _turn_passages(turn, (previous, question) if question else None, source, ids, offset, max_chars)
        elif turn.speaker == name:
            skipped += 1
        offset += len(turn.text) + 2  # turns are joined by a blank line in the repaired text
        previous = turn
    if skipped:
        whose = f"{name}'s" if name else "the unnamed speakers'"
        warnings.warn(
            f"{source}: skipped {skipped} of {whose} turns: fewer than {REPLY_WORDS} words, shorter than --min-chars {min_chars} and not answering a question",
            InputWarning,
            stacklevel=2,
        )
    return result


def _turn_passages(turn: Turn, asked: tuple[Turn, str] | None, source: str, ids: UniqueIds, offset: int, max_chars: int) -> list[Passage]:
    result = []
    for k, (a, b) in enumerate(split_spans(turn.text, max_chars)):
        first, question = asked if asked and k == 0 else (turn, None)
        turns = str(turn.number) if first is turn else f"{first.number}-{turn.number}"
        text = turn.text[a:b]
        result.append(
            Passage(ids(text), text, source, 0, 0, start=offset + a, end=offset + b, question=question, turns=turns, time=first.time)
        )
    return result


def repaired_text(transcript: Transcript) -> str:
    """The text that transcript passage offsets point into."""
    return "\n\n".join(turn.text for turn in transcript.turns)
