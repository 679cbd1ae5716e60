"""Transcripts -> turns -> the persona's passages, each with the interviewer's real question.

Reads speaker-labelled text (`Name: text`, `**Name:** text`), .srt and .vtt subtitles and
JSON turn lists. Timestamps and stage notes ("[01:20]", "(Cross-talk.)") are not anyone's
words and are removed. A persona turn that answers a question keeps that question, so the
engine only writes questions for persona passages that have none.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from pathlib import Path

from synth.transcripts import labels, markup
from synth.transcripts.normalise import normalise
from voicetune.errors import BadInput, InputWarning
from synth.transcripts.speakers import persona_name
from synth.sources.extract import check_file
from synth.document import Passage, Transcript, Turn
from synth.repair.segment import MAX_CHARS, MIN_CHARS, UniqueIds, split_sentences, split_spans
from synth.sources.textfile import read_text

_STAGE_WORDS = r"laugh|chuckl|crosstalk|cross-talk|inaudible|unintelligible|music|applause|silence|pause|sigh|cough|noise|overlap|indiscernible|static|beep"
# [laughs], [unintelligible 00:07:18.11], (Cross-talk.), (Laughter): editorial notes, not speech
_STAGE_NOTE = re.compile(
    rf"\\?\[[^\]\n]*(?:{_STAGE_WORDS})[^\]\n]*?\\?\]|\((?:[^)\n]*(?:{_STAGE_WORDS})[^)\n]*|[A-Z][a-z-]*(?: [a-z-]+){{0,2}}\.)\)",
    re.IGNORECASE,
)
_EDITORIAL = re.compile(r"\((?:[^()]|\([^()]*\))*\)\.?|\[(?:[^\[\]]|\[[^\[\]]*\])*\]\.?", re.DOTALL)  # a paragraph wholly in brackets
# a parliamentary record's own narration between speeches: "The amendment (No. 1293) was agreed to.", "The clerk read as follows:"
_PROCEEDINGS = re.compile(
    r"(?:The|An?)\s+(?:[\w-]+\s+){0,3}?(?:motion|amendments?|bill|question|resolution|nomination|report|clerk|yeas and nays|result|preamble|title|vote)\b"
    r"(?:\([^()\n]*\)|[^.:()\n]){0,80}?(?:\b(?:was|were)\s+(?:not\s+)?(?:agreed\s+to|rejected|ordered|passed|adopted|withdrawn|laid\s+on\s+the\s+table|read(?:\s+the\s+\w+\s+time)?)"
    r"(?:\s+by\s+unanimous\s+consent)?\.|\bas\s+follows:)\s*\Z"
)
_CUE_TIME = re.compile(rf"^\s*(?P<start>{labels.CLOCK})\s*-->\s*{labels.CLOCK}")
_VOICE = re.compile(r"<v(?:\.[\w.]+)?\s+([^>]+)>")
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")


def parse(path: Path) -> Transcript:
    """Turns of a .txt/.md, .srt, .vtt or .json transcript; consecutive turns of one speaker merged."""
    check_file(path)
    suffix = path.suffix.lower()
    guests: tuple[str, ...] = ()
    if suffix == ".json":
        raw = json_turns(path)
    else:
        text = normalise(source_text(path))
        raw = subtitle_turns(text) if suffix in {".srt", ".vtt"} else labelled_turns(text)
        guests = labels.guests(text)
    turns = merge_turns([(speaker, clean_speech(text), time) for speaker, text, time in raw])
    if not turns:
        raise BadInput(f"{path}: no turns found: label each turn like 'Name: text', or give .srt, .vtt or .json")
    return Transcript(path, turns, guests)


def source_text(path: Path) -> str:
    """A transcript file's text; a web page's as a person sees it (markup.py)."""
    text = read_text(path)
    return markup.transcript_text(text) if path.suffix.lower() in markup.SUFFIXES else text


def labelled_turns(text: str) -> list[tuple[str, str, str | None]]:
    """(speaker, text, time) for each labelled turn. Unlabelled paragraphs continue the turn
    before them, but text before the first label (a title, a place and time), a heading and
    what follows it, and narration after a turn that was one closed quotation are no one's
    turn. A turn's time is the last timestamp at or before its start."""
    paragraphs = labels.blocks(text)
    speakers = labels.speakers(paragraphs)
    found = [labels.find(labels.lead_time(p)[1]) for p in paragraphs]
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
        label = labels.find(labels.lead_time(paragraph)[1])
        speaker = label.name if label and label.name in speakers else None
        if own_text and not speaker:
            own_text = False  # the text of the label before it
            continue
        if own_text:
            names[-1] = None  # a label that got no text ("BEETHOVEN." then "FATHER.") is no turn
        names.append(speaker)
        own_text = bool(speaker and not label.rest.strip())
    return sum(1 for a, b in zip(names, names[1:]) if a and b and a != b) >= least


def subtitle_turns(text: str) -> list[tuple[str, str, str | None]]:
    """Cues of .srt/.vtt subtitles: numbers, timings, headers and tags dropped. A cue without a
    speaker (`<v Name>` or `Name:`) continues the previous cue's speaker."""
    cues, speaker = [], ""
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in block.strip().splitlines()]
        timing = next((i for i, line in enumerate(lines) if _CUE_TIME.match(line)), None)
        if timing is None:
            continue  # WEBVTT header, NOTE, STYLE: no timing line, no speech
        start = _CUE_TIME.match(lines[timing]).group("start")
        body = " ".join(lines[timing + 1 :])
        voice = _VOICE.search(body)
        body = re.sub(r"<[^>]+>", "", body).strip()
        label = labels.find(body)
        if voice:
            speaker = voice.group(1).strip()
        elif label and label.kind != "bare-a":
            speaker, body = label.name, label.rest.strip()
        cues.append((speaker, body, clock(start)))
    return cues


def json_turns(path: Path) -> list[tuple[str, str, str | None]]:
    """A list of {speaker, text} turns, or an object holding one (under any key)."""
    try:
        data = json.loads(read_text(path))
    except ValueError as e:
        raise BadInput(f"{path} is not valid JSON ({e}): give a list of {{speaker, text}} turns") from None
    if isinstance(data, dict):
        data = next((value for value in data.values() if isinstance(value, list)), None)
    if not data or not all(isinstance(t, dict) and _field(t, "text", "content", "utterance") is not None for t in data):
        raise BadInput(f"{path}: expected a list of {{speaker, text}} turns, or an object holding one")
    result = []
    for number, t in enumerate(data, start=1):
        start = _field(t, "start", "time", "timestamp")
        try:
            time = clock(start)
        except ValueError:
            raise BadInput(f"{path}: turn {number}: start {start!r} is not a time: give seconds (75.2) or a clock time (00:01:15), or leave it out") from None
        result.append((str(_field(t, "speaker", "name", "role") or ""), str(_field(t, "text", "content", "utterance")), time))
    return result


def _field(turn: dict, *names: str):
    return next((turn[name] for name in names if name in turn), None)


def clock(value) -> str | None:
    """"1:20", "00:01:20,500" or 80.5 (seconds) -> "00:01:20"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, (int, float)):
        seconds = int(value)
    else:
        if not re.fullmatch(r"\s*\d+(?:[.,]\d+)?(?::\d+(?:[.,]\d+)?){0,2}\s*", value):
            raise ValueError(f"not a time: {value!r}")
        parts = [float(p) for p in value.strip().replace(",", ".").split(":")]
        seconds = int(sum(p * 60**i for i, p in enumerate(reversed(parts))))
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def clean_speech(text: str) -> str:
    """Speech without timestamps, stage notes, markdown emphasis and escapes."""
    text = _STAGE_NOTE.sub("\0", labels.TIMESTAMP.sub("\0", text))
    text = re.sub(r"[ \t]*\0[ \t]*(?=[,.!?;:])", "", text).replace("\0", " ")  # "yes (Laughs)." -> "yes."
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = _MARKDOWN_ESCAPE.sub(r"\1", text)
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def merge_turns(raw: list[tuple[str, str, str | None]]) -> tuple[Turn, ...]:
    """Consecutive turns of one speaker become one turn (subtitles cut speech into cues)."""
    merged: list[list] = []
    for speaker, text, time in raw:
        if not text:
            continue
        if merged and merged[-1][0] == speaker:
            merged[-1][1] += " " + text
        else:
            merged.append([speaker, text, time])
    return tuple(Turn(i, speaker, text, time) for i, (speaker, text, time) in enumerate(merged, start=1))


def is_question(text: str) -> bool:
    """A turn asks something if one of its last two sentences ends with a question mark."""
    return any(s.rstrip("\"'\u201d\u2019)").endswith("?") for s in split_sentences(text)[-2:])


def passages(
    transcript: Transcript, persona: str | None, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS, source: str | None = None
) -> list[Passage]:
    """The persona's turns as passages. A turn answering another speaker's question keeps that
    question (on its first passage, if it is split by max_chars); a turn with no question and
    under min_chars is skipped: too short to stand alone as an answer."""
    name = persona if persona in {turn.speaker for turn in transcript.turns} else persona_name(transcript, persona)
    source = source or transcript.path.name
    ids, offset, skipped = UniqueIds(source), 0, 0
    result: list[Passage] = []
    previous: Turn | None = None
    for turn in transcript.turns:
        asked = previous if previous and previous.speaker != name and is_question(previous.text) else None
        if turn.speaker == name and (asked or len(turn.text) >= min_chars):
            result += _turn_passages(turn, asked, source, ids, offset, max_chars)
        elif turn.speaker == name:
            skipped += 1
        offset += len(turn.text) + 2  # turns are joined by a blank line in the repaired text
        previous = turn
    if skipped:
        warnings.warn(
            f"{source}: skipped {skipped} of {name}'s turns: shorter than --min-chars {min_chars} and not answering a question",
            InputWarning,
            stacklevel=2,
        )
    return result


def _turn_passages(turn: Turn, asked: Turn | None, source: str, ids: UniqueIds, offset: int, max_chars: int) -> list[Passage]:
    result = []
    for k, (a, b) in enumerate(split_spans(turn.text, max_chars)):
        question = " ".join(asked.text.split()) if asked and k == 0 else None
        first = asked if question else turn
        turns = str(turn.number) if first is turn else f"{first.number}-{turn.number}"
        text = turn.text[a:b]
        result.append(
            Passage(ids(text), text, source, 0, 0, start=offset + a, end=offset + b, question=question, turns=turns, time=first.time)
        )
    return result


def repaired_text(transcript: Transcript) -> str:
    """The text that transcript passage offsets point into."""
    return "\n\n".join(turn.text for turn in transcript.turns)
