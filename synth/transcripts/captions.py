"""Subtitles and captions -> turns, and what can be said of turns whose speaker has no name.

    <v Ada Host>Where did you learn it?</v>      a WebVTT voice tag names the speaker
    Ada: What was the hardest part?             a label at a cue's start (or after `>>`)
    >> good morning, welcome to                 broadcast captions: a new speaker, no name
    so I grew up / so I grew up<br>and my father  rolling captions (YouTube's): each line once
    - Did you see it?  /  - Not yet.            subtitles: two speakers in one cue, no names

Cue numbers, timing lines, WEBVTT/NOTE/STYLE blocks and markup are no one's words. A cue with
no voice tag, label or `>>` continues the speaker before it (captions cut sentences into cues).
A turn that `>>` starts has no name: its speaker is "" and it is never merged with the unnamed
turn before it, so a passage never holds two people's words even where neither can be named.
"""

from __future__ import annotations

import html
import re
import warnings
from collections import Counter

from synth.document import Turn
from synth.transcripts import labels
from voicetune.errors import InputWarning

_CUE_TIME = re.compile(rf"^\s*(?P<start>{labels.CLOCK})\s*-->\s*{labels.CLOCK}")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<\d[\d:.]*>|\{\\[^{}]*\}")  # <i>, </v>, <00:01.500> karaoke times, {\an8}
CHANGE = re.compile(r"\s*>>\s*")  # broadcast captions: ">>" (written "&gt;&gt;" in WebVTT) starts a new speaker
_DASH = re.compile(r"^[-\u2013\u2014]\s+(?=\S)")  # "- Hi." opening a line
_EXPLICIT = {"bold", "colon", "timed"}  # `Name:` says it is a label; `NAME.` and `Q` must recur to count


def subtitle_turns(text: str) -> list[tuple[str, str, str | None]]:
    """(speaker, text, time) per turn of .srt/.vtt cues; "" is a speaker without a name."""
    parts = [(start, voice, part) for start, body in cues(text) for voice, part in _voiced_parts(body)]
    found = [label for _, _, part in parts for piece in CHANGE.split(part) if (label := _label(piece))]
    counts = Counter(label.name for label in found)
    named = {label.name for label in found if counts[label.name] >= 2 or label.kind in _EXPLICIT}
    turns: list[list] = []
    for start, voice, part in parts:
        if voice is not None:
            turns.append([voice, "", start])
        for k, piece in enumerate(CHANGE.split(part)):
            label = _label(piece)
            if label and label.name in named:
                turns.append([label.name, label.rest.strip(), start])
            elif k > 0 or not turns:  # `>>` (or speech before any speaker): someone, unnamed
                turns.append(["", piece, start])
            else:
                turns[-1][1] += " " + piece
    return [(speaker, " ".join(said.split()), clock(start)) for speaker, said, start in turns]


def cues(text: str) -> list[tuple[str, str]]:
    """(start, text) of each cue: the lines after its timing line, joined. Two or more lines
    that open with a dash ("- Hi." / "- Hello.") are two speakers, as subtitles for the deaf
    write them: each dash becomes `>>`."""
    timed = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in block.strip().splitlines()]
        timing = next((i for i, line in enumerate(lines) if _CUE_TIME.match(line)), None)
        if timing is None:  # WEBVTT header, NOTE, STYLE: no timing line, no speech
            continue
        timed.append((_CUE_TIME.match(lines[timing]).group("start"), [line for line in lines[timing + 1 :] if line]))
    found = []
    for start, said in unrolled(timed):
        if sum(1 for line in said if _DASH.match(line)) >= 2:
            said = [_DASH.sub(">> ", line) for line in said]
        if said:
            found.append((start, " ".join(said)))
    return found


def unrolled(timed: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Cues without the lines they repeat from the cue before, where captions roll up (YouTube's
    automatic captions: each cue shows the last line again above the new one, and a cue of a few
    milliseconds shows it alone). A file rolls where most cues open with the line the cue before
    ended on, one of the two holding more lines; a cue then loses its first lines where they are
    the cue before's last ones, in order. Subtitles of one line a cue that say "No." twice keep both."""
    plain = [[" ".join(_TAG.sub("", line).split()) for line in said] for _, said in timed]
    rolls = [bool(a and b and b[0] == a[-1] and len(a) + len(b) > 2) for a, b in zip(plain, plain[1:])]
    if not rolls or sum(rolls) < 0.5 * len(rolls):
        return timed
    result = [timed[0]]
    for (start, said), before, now in zip(timed[1:], plain, plain[1:]):
        shown = max((j for j in range(1, min(len(before), len(now)) + 1) if now[:j] == before[-j:]), default=0)
        result.append((start, said[shown:]))
    return result


def _voiced_parts(body: str) -> list[tuple[str | None, str]]:
    """(voice or None, plain text) for the text before and after each `<v Name>` in a cue."""
    pieces = _VOICE.split(body)
    parts = [(None, pieces[0])] + [(pieces[i].strip(), pieces[i + 1]) for i in range(1, len(pieces), 2)]
    return [(voice, html.unescape(_TAG.sub("", text)).strip()) for voice, text in parts if voice is not None or text.strip()]


def _label(piece: str) -> labels.Label | None:
    label = labels.find(piece.strip())
    return label if label and label.kind != "bare-a" else None


def clock(value) -> str | None:
    """"1:20", "00:01:20,500", "2021-07-19T10:01:20Z" or 80.5 (seconds) -> "00:01:20"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, (int, float)):
        seconds = int(value)
    else:
        value = re.sub(r"^\d{4}-\d\d-\d\d[T ](\d\d:\d\d:\d\d(?:\.\d+)?)(?:Z|[+-]\d\d:?\d\d)?$", r"\1", value.strip())
        if not re.fullmatch(r"\s*\d+(?:[.,]\d+)?(?::\d+(?:[.,]\d+)?){0,2}\s*", value):
            raise ValueError(f"not a time: {value!r}")
        parts = [float(p) for p in value.strip().replace(",", ".").split(":")]
        seconds = int(sum(p * 60**i for i, p in enumerate(reversed(parts))))
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def say_unnamed(name: str, turns: tuple[Turn, ...]) -> None:
    """Warn, in one line, what could not be told where turns have no speaker's name."""
    nameless = sum(1 for turn in turns if not turn.speaker)
    if not nameless:
        return
    changes = any(not a.speaker and not b.speaker for a, b in zip(turns, turns[1:]))
    how = "where a new speaker starts is marked (e.g. '>>'), not who it is" if changes else "no change of speaker is marked"
    if nameless == len(turns):
        read = f"{nameless} turns read as unnamed speakers'" if nameless > 1 else "read as one unnamed speaker's words"
        message = f"{name}: speakers are not named, {how}: {read}; --persona cannot select anyone"
        if changes:
            message += "; a passage never spans two turns, so each holds one person's words, whoever spoke them"
    else:
        message = f"{name}: {nameless} of {len(turns)} turns have no speaker's name ({how}): they are no one's answers"
    warnings.warn(message, InputWarning, stacklevel=3)
