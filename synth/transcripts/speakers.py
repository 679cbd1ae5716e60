"""Whose words become answers: --persona matched to a transcript's speaker labels as a person
would match it, and the one-line-per-speaker summary that `synth segment` shows."""

from __future__ import annotations

import re
import warnings
from collections import Counter

from voicetune.errors import BadInput, Notice
from synth.document import Transcript

_HONORIFICS = set("mr mrs ms miss mx dr prof professor sir dame lady lord the rev reverend hon sen senator rep gov governor gen general adm capt col lt sgt amb ambassador judge justice".split())


class NotASpeaker(BadInput):
    """--persona names no speaker of this transcript: in a folder of sources, a file to skip."""


def persona_name(transcript: Transcript, persona: str | None) -> str:
    """The speaker whose words become answers: the only speaker, or the one `persona` names,
    matched as a person would match it: exactly, then without regard to case, punctuation and
    honorifics ("ms. psaki" -> "MS. PSAKI"), then by a part of the name ("Jen Psaki" -> "MS.
    PSAKI", "Henk" -> "Henk Rogers"), then by initials ("JL", "J.L." -> "Jessica Lachs"), then by
    surname where the file's own front matter names the persona as its guest ("Jess Lachs" ->
    "Jessica Lachs"), and in a file whose answers are labelled only `A` (where `Q` asks), the one
    who answers. A match that is not exact is said in a Notice; an unknown or ambiguous
    name is an error that lists the speakers found."""
    speakers = Counter(turn.speaker for turn in transcript.turns)
    found = ", ".join(f"{name} ({n} turn{'s' if n != 1 else ''})" for name, n in speakers.most_common() if name)
    if persona is None:
        if len(speakers) == 1:
            return next(iter(speakers))
        raise BadInput(f"{transcript.path.name} has several speakers: choose whose words become answers with --persona NAME; speakers found: {found}")
    if not found:
        raise NotASpeaker(f"{transcript.path.name} has no speaker labels: drop --persona to use all of it, or label turns as 'Name: text'")
    matches, how = match_speaker(persona, [name for name in speakers if name], transcript.guests)
    if len(matches) == 1:
        if how != "exactly":
            warnings.warn(f"{transcript.path.name}: --persona {persona!r} is the speaker {matches[0]} ({how})", Notice, stacklevel=2)
        return matches[0]
    if matches:
        raise BadInput(f"--persona {persona!r} could be any of {', '.join(matches)} in {transcript.path.name}: give the label as written; speakers found: {found}")
    if {"Q", "A"} <= set(speakers):
        # a deposition, a magazine's Q&A: the file names no one, and whoever answers is the one interviewed
        warnings.warn(f"{transcript.path.name}: --persona {persona!r} is the speaker A (the file labels its questions Q and its answers A)", Notice, stacklevel=2)
        return "A"
    raise NotASpeaker(f"--persona {persona!r} is not a speaker in {transcript.path.name}; speakers found: {found}")


def match_speaker(persona: str, speakers: list[str], guests: tuple[str, ...] = ()) -> tuple[list[str], str]:
    """(the speakers that `persona` names at the first level where any does, how it matched).
    `guests`: the names the file's own metadata gives its guests (front matter `guest:`)."""
    wanted = " ".join(persona.split()).casefold()
    tokens = name_tokens(persona)
    surnames = {name_tokens(g)[-1] for g in guests if name_tokens(g) and _same_person(name_tokens(g), tokens)}
    levels = [
        ("exactly", lambda name: name.casefold() == wanted),
        ("ignoring case, punctuation and honorifics", lambda name: name_tokens(name) == tokens),
        ("by part of the name", lambda name: _part_of(name_tokens(name), tokens)),
        ("by initials", lambda name: _initials_of(name_tokens(name), tokens) or _initials_of(tokens, name_tokens(name))),
        ("by surname, as the file's front matter names its guest", lambda name: bool(name_tokens(name)) and name_tokens(name)[-1] in surnames),
    ]
    for how, matches in levels:
        found = [name for name in speakers if matches(name)]
        if found:
            return found, how
    return [], ""


def name_tokens(name: str) -> list[str]:
    """"MS. PSAKI" -> ["psaki"], "The President" -> ["president"]: the words of a name, lower case, without honorifics."""
    words = re.findall(r"[^\W\d_]+", name.casefold())
    return [w for w in words if w not in _HONORIFICS] or words


def _part_of(label: list[str], persona: list[str]) -> bool:
    """One name's words all among the other's ("psaki" in "jen psaki"); single letters (Q, A) never."""
    if not label or not persona or min(len(w) for w in label + persona) < 2:
        return False
    return set(label) <= set(persona) or set(persona) <= set(label)


def _initials_of(full: list[str], short: list[str]) -> bool:
    """"jl" or "j l" are the initials of "jessica lachs" (two or more words)."""
    letters = "".join(short)
    if len(full) < 2 or not 2 <= len(letters) <= 4 or not (len(short) == 1 or all(len(w) == 1 for w in short)):
        return False
    return letters == "".join(w[0] for w in full)


def _same_person(guest: list[str], persona: list[str]) -> bool:
    """The metadata's guest is the persona: the same words, a part of them, or the same surname."""
    return guest == persona or _part_of(guest, persona) or bool(persona) and guest[-1] == persona[-1]


def speaker_summary(transcript: Transcript, persona: str | None, sample_chars: int = 70) -> list[str]:
    """One line per speaker, most turns first: name, turn count and their first words, so a
    person sees at a glance that the transcript was split right."""
    counts = Counter(turn.speaker for turn in transcript.turns)
    first: dict[str, str] = {}
    for turn in transcript.turns:  # each speaker's first turn of some length, else their first
        text, have = " ".join(turn.text.split()), first.get(turn.speaker)
        if have is None or len(have) < 40 <= len(text):
            first[turn.speaker] = text
    lines = []
    for name, n in counts.most_common():
        sample = first[name] if len(first[name]) <= sample_chars else first[name][:sample_chars] + "..."
        role = ", answers" if name == persona else ""
        lines.append(f"  {name or '(no label)'} ({n} turn{'s' if n != 1 else ''}{role}): {sample!r}")
    return lines
