"""Structured transcripts -> turns: JSON (or JSON Lines) and CSV/TSV, whatever their schema.

    [{"speaker": "Ada", "text": "...", "start": 75.2}, ...]                  a list of turns
    {"content": [{"kind": "speech", "speaker": "Mr. WARNER", "text": "  Mr. WARNER. ..."}]}
    {"segments": [{"start": 0.0, "text": "...", "speaker": "SPEAKER_00", "words": [...]}]}
    {"results": {"items": [{"alternatives": [{"content": "word"}], "start_time": "1.2"}],
                 "speaker_labels": {"segments": [{"speaker_label": "spk_0", "start_time": ...}]}}}
    Speaker,Start,End,Text / Ada,00:00:01,00:00:04,"Where did you learn it?"

Every list of objects anywhere in the document is a candidate (its items flattened, a one-item
list such as `alternatives` read as its item, nested lists candidates of their own that see
their parent's fields as `../name`). Fields are told by what they hold:

- text: the strings with the most words, varied from item to item;
- speaker: short values that recur and look like names (or small numbers: "Speaker 1"), the
  more so where the text repeats them as a label or the field's name says so (speaker, role...);
  a number that never changes is not a speaker, and "None", "null", "" are no one;
- time: a field named like a start (start, begin, time, offset), in seconds, milliseconds or clock
  time; kind: a field named like a kind (kind, type) whose non-speech values carry no speakers.

The list with the most words is read, preferring one with speakers, then fewer, longer items
(utterances over their words). Word-level items are joined into turns by speaker; where words
carry no speaker, a list of speaker segments with start and end times gives it by time.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from synth.transcripts import labels
from synth.transcripts.captions import CHANGE, clock
from synth.sources.textfile import read_text
from voicetune.errors import BadInput, InputWarning

Raw = tuple[str, str, "str | None"]
_NOBODY = {"", "none", "null", "nan", "n/a", "unknown", "-"}
_SPEAKER_KEY = re.compile(r"speaker|name|role|spk|who|author|participant|person|voice|character|user|sender|from", re.IGNORECASE)
_NOT_SPEAKER_KEY = re.compile(r"kind|type|category|class|event|lang|channel|bioguide|(?:^|_)id$|confidence|index$", re.IGNORECASE)
_KIND_KEY = re.compile(r"kind|type|category|class|event", re.IGNORECASE)
_START_KEY = re.compile(r"start|begin|^(?:time|timestamp|ts|offset)(?:[_ ]?(?:ms|s|sec|seconds))?$", re.IGNORECASE)
_PUNCTUATION = re.compile(r"^[^\w\s]+$")


@dataclass(frozen=True)
class Fields:
    """Which flattened key holds what, in one candidate list."""

    text: str
    words: int  # the words under `text`, all items together
    speaker: str | None = None
    start: str | None = None
    kind: str | None = None
    milliseconds: bool = False  # `start` counts milliseconds (AssemblyAI)


class NoTurns(BadInput):
    """A JSON, CSV or TSV file that holds no transcript: in a folder of sources, a file to skip."""


def json_turns(path: Path) -> list[Raw]:
    """(speaker, text, time) per turn of a JSON transcript; "" is a speaker without a name."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except ValueError as e:
        try:  # JSON Lines: one object a line
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            raise NoTurns(f"{path} is not valid JSON ({e}): give a list of {{speaker, text}} turns") from None
    return turns_of(path, candidates(data), data)


def csv_turns(path: Path) -> list[Raw]:
    """(speaker, text, time) per turn of a CSV/TSV transcript, with or without a header row."""
    text = read_text(path)
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
    if not rows:
        raise NoTurns(f"{path}: no rows: give one turn a row, e.g. Speaker,Start,Text")
    if _is_header(rows[0], sample):
        keys, rows = [cell.strip() for cell in rows[0]], rows[1:]
    else:
        keys = [f"column {i + 1}" for i in range(max(len(row) for row in rows))]
    return turns_of(path, {"rows": [dict(zip(keys, row)) for row in rows]})


def _is_header(row: list[str], sample: str) -> bool:
    """A first row of short labels ("Speaker", "Start Time"), none a time or a number."""
    if not all(0 < len(cell.strip()) <= 30 and not re.fullmatch(r"[\d:.,\s]+", cell) for cell in row):
        return False
    hinted = any(_SPEAKER_KEY.search(cell) or _START_KEY.search(cell) or re.search(r"text|transcript|content|utterance", cell, re.I) for cell in row)
    try:
        return hinted or bool(sample) and csv.Sniffer().has_header(sample)
    except csv.Error:
        return hinted


def candidates(data) -> dict[str, list[dict]]:
    """Every list of objects in `data`, by where it is ("results.items[]"), items flattened."""
    found: dict[str, list[dict]] = defaultdict(list)

    def walk(node, where: str, parent: dict) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{where}.{key}" if where else str(key), parent)
        elif isinstance(node, list):
            items = [x for x in node if isinstance(x, dict)] or _rows(node)
            if not items:
                for x in node:
                    walk(x, where + "[]", parent)
            for item in items:
                flat = flatten(item)
                found[where + "[]"].append({**{f"../{k}": v for k, v in parent.items() if not k.startswith("../")}, **flat})
                for key, value in item.items():
                    if _holds_list(value):  # what lies under `key` is no field of its own items' parent
                        walk(value, f"{where}[].{key}", {k: v for k, v in flat.items() if not k.startswith(f"{key}.")})

    walk(data, "", {})
    return found


def _rows(node: list) -> list[dict]:
    """[["Speaker", "Text"], ["Ada", "..."]] or rows without a header -> one object a row; else []."""
    rows = [x for x in node if isinstance(x, list)]
    if len(rows) < 2 or len(rows) < len(node) or not all(len(r) >= 2 and all(not isinstance(v, (dict, list)) for v in r) for r in rows):
        return []
    if all(isinstance(v, str) for v in rows[0]) and _is_header(rows[0], ""):
        return [dict(zip([str(v).strip() for v in rows[0]], row)) for row in rows[1:]]
    return [{f"column {i + 1}": v for i, v in enumerate(row)} for row in rows]


def _holds_list(value) -> bool:
    """A list of two or more, anywhere inside `value`: what `flatten` leaves for a candidate of its own."""
    if isinstance(value, list):
        return len(value) > 1 or any(_holds_list(x) for x in value if isinstance(x, dict))
    return isinstance(value, dict) and any(_holds_list(x) for x in value.values() if isinstance(x, (dict, list)))


def flatten(item: dict, prefix: str = "") -> dict:
    """{"alternatives": [{"content": "so"}], "start": 1} -> {"alternatives.0.content": "so", "start": 1};
    a longer list of objects is left out (it is a candidate of its own)."""
    flat: dict = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            flat.update(flatten(value[0], name + ".0."))
        elif not (isinstance(value, list) and value and all(isinstance(x, dict) for x in value)):
            flat[name] = value
    return flat


def turns_of(path: Path, lists: dict[str, list[dict]], data=None) -> list[Raw]:
    """The turns of the candidate list that holds the transcript (`data`: the whole document,
    where a table of speakers' names may be)."""
    options = [(where, records, fields) for where, records in lists.items() if (fields := detect(records))]
    if not options:
        raise NoTurns(
            f"{path}: no list of turns found: expected items with a text field, e.g. [{{\"speaker\": \"Ada\", \"text\": \"...\"}}], under any key"
        )
    most = max(fields.words for _, _, fields in options)
    where, records, fields = min(
        (o for o in options if o[2].words >= 0.9 * most),
        key=lambda o: (o[2].speaker is None, len(o[1]) == 1, len(o[1]), o[0].count("[]")),
    )
    spoken = _speech(path, records, fields)
    texts = {id(other): f.text for _, other, f in options}
    others = [(other, texts.get(id(other))) for other in lists.values() if other is not records]
    if fields.speaker:
        wanted = {str(r[fields.speaker]) for r in records if not nobody(r.get(fields.speaker))}
        speakers = _speaker_names(records, fields, _directory(data, [other for other, _ in others], wanted))
    else:
        speakers = _speakers_by_time(others, records, fields)
    pieces, now, carried = [], "", 0
    for number, record in spoken:
        speaker = speakers[number] if speakers else ""
        carried += bool(now and not speaker)
        now = speaker or now  # a blank speaker cell, where others are named, continues the speaker before it
        pieces.append((now, _without_label(str(record.get(fields.text) or ""), now), _start(path, record, fields, number)))
    if carried:
        warnings.warn(f"{path.name}: {carried} item{'s name' if carried != 1 else ' names'} no speaker: each is read as the words of the speaker before it", InputWarning, stacklevel=3)
    return join(pieces)


def detect(records: list[dict]) -> Fields | None:
    """The fields of one candidate list, or None if it holds no text."""
    counts = Counter(k for record in records for k, v in record.items() if v is not None)
    keys = sorted(counts, key=lambda k: k.startswith("../"))  # an item's own fields before its parent's
    texts = {}
    for key in keys:
        values = [record[key] for record in records if isinstance(record.get(key), str) and record[key].strip()]
        if key.startswith("../") or not values or len(values) < 0.5 * len(records):
            continue
        if len(set(values)) <= 12 and len(set(values)) < 0.3 * len(values):
            continue  # the same few strings again and again: a kind or a speaker, not what was said
        if _SPEAKER_KEY.search(key.split(".")[-1]) and sum(len(v.split()) for v in values) <= 4 * len(values):
            continue  # names ("name": "Ada Lovelace"): who, not what was said
        if re.search(r"[^\W\d_]{2}", " ".join(values[:200])):
            texts[key] = (sum(len(v.split()) for v in values), sum(map(len, values)))
    if not texts:
        return None
    # most words; of as many, the one named for text, then the longer ("Hello," over "hello": Deepgram's punctuated_word)
    text = max(texts, key=lambda k: (texts[k][0], bool(re.search(r"text|content|transcript|utterance|sentence", k, re.I)), texts[k][1]))
    speaker = _speaker_key(_sample(records), [k for k in keys if k != text], text)
    start = _start_key(records, [k for k in keys if k not in {text, speaker}])
    kind = next((k for k in keys if k not in {text, speaker} and _KIND_KEY.search(k.split(".")[-1]) and _is_kind(records, k)), None)
    times = [r[start] for r in records if isinstance(r.get(start), int) and not isinstance(r.get(start), bool)] if start else []
    milliseconds = bool(times) and (max(times) > 36000 or bool(re.search(r"ms|milli", start, re.I)))  # ten hours in seconds is no transcript
    return Fields(text, texts[text][0], speaker, start, kind, milliseconds)


def _start_key(records: list[dict], keys: list[str]) -> str | None:
    """The key named like a start time (start, begin, time, offset), else the first whose values are all clock times."""
    named = [k for k in keys if _START_KEY.search(k.split("/")[-1].split(".")[-1]) and "end" not in k.lower()]
    if found := next((k for pattern in ("start", "begin", "") for k in named if pattern in k.lower()), None):
        return found
    clocks = (k for k in keys if all(isinstance(r.get(k), str) and re.fullmatch(r"\s*\d+(?::\d\d){1,2}(?:[.,]\d+)?\s*", r[k]) for r in records))
    return next(clocks, None)


def _sample(records: list[dict]) -> list[dict]:
    """Every n-th item, a thousand or so: they tell a field as well as all of them."""
    return records[:: max(1, len(records) // 1000)]


def _speaker_key(records: list[dict], keys: list[str], text: str) -> str | None:
    """The key whose values name who speaks, by the scores `_speaker_score` gives."""
    scored = {key: score for key in keys if (score := _speaker_score(key, [r.get(key) for r in records], [r.get(text) for r in records])) is not None}
    best = max(scored, key=scored.get, default=None)
    return best if best is not None and scored[best] >= 1.5 else None


def _speaker_score(key: str, values: list, texts: list) -> float | None:
    present = [v for v in values if not nobody(v)]
    if len(present) < 0.3 * len(values) or any(isinstance(v, (bool, float, dict, list)) for v in present):
        return None
    distinct = {str(v) for v in present}
    if all(isinstance(v, int) for v in present):
        if not 2 <= len(distinct) <= max(12, len(values) // 3):
            return None  # an index that never changes says nothing; one that always does counts items
        name_like = 0.0
    else:
        words = sorted(len(str(v).split()) for v in present)
        if words[len(words) // 2] > 6 or len(distinct) > max(3, min(len(values) / 2, 60)) or all(re.fullmatch(r"[\d:.,\s-]+", str(v)) for v in present):
            return None
        name_like = sum(1 for v in present if re.search(r"[^\W\d_]{2}", str(v)) and not re.search(r"\d{3}", str(v))) / len(present)
    said = [(str(v), t) for v, t in zip(values, texts) if not nobody(v) and isinstance(t, str)]
    repeated = sum(1 for v, t in said if t.lstrip().startswith(v)) / max(len(said), 1)
    name = key.split(".")[-1]
    hint = 2 if _SPEAKER_KEY.search(name) else -2 if _NOT_SPEAKER_KEY.search(name) else 0
    return hint + 2 * repeated + name_like + len(present) / len(values) - (0.5 if key.startswith("../") else 0)


def _is_kind(records: list[dict], key: str) -> bool:
    values = [r.get(key) for r in records if isinstance(r.get(key), str)]
    return len(values) >= 0.5 * len(records) and 2 <= len(set(values)) <= 12


def nobody(value) -> bool:
    """None, "", "None", "null", "unknown": a speaker field that names no one."""
    return value is None or isinstance(value, str) and value.strip().casefold() in _NOBODY


def _speech(path: Path, records: list[dict], fields: Fields) -> list[tuple[int, dict]]:
    """(index, item) of the items that are speech: where a kind field sorts items, the kinds
    whose items carry the most speakers; the others are skipped, and said."""
    indexed = list(enumerate(records))
    if not fields.kind:
        return indexed
    voices: dict[str, set] = defaultdict(set)
    for record in records:
        speaker = record.get(fields.speaker) if fields.speaker else None
        voices[str(record.get(fields.kind))].update([] if nobody(speaker) else [str(speaker)])
    most = max(len(v) for v in voices.values())
    if most == 0:
        return indexed
    skipped = Counter(str(r.get(fields.kind)) for r in records if len(voices[str(r.get(fields.kind))]) < most)
    if skipped:
        kept = ", ".join(k for k, v in voices.items() if len(v) == most)
        warnings.warn(
            f"{path.name}: skipped {sum(skipped.values())} items that are not speech"
            f" ({', '.join(f'{fields.kind} {k!r}: {n}' for k, n in skipped.most_common())}): only {fields.kind} {kept} carries the speakers' words",
            InputWarning,
            stacklevel=4,
        )
    return [(i, r) for i, r in indexed if len(voices[str(r.get(fields.kind))]) == most]


def _speaker_names(records: list[dict], fields: Fields, directory: dict[str, str]) -> list[str]:
    """Each item's speaker as a person would name them: by the document's own table of names
    (`directory`), else "Speaker 1" for index 0 or 1; "" for no one."""
    values = [r.get(fields.speaker) for r in records]
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    base = 1 if numbers and min(numbers) == 0 else 0
    return [
        "" if nobody(v) else directory[str(v)] if directory else f"Speaker {v + base}" if isinstance(v, int) else " ".join(str(v).split())
        for v in values
    ]


def _directory(data, lists: list[list[dict]], wanted: set[str]) -> dict[str, str]:
    """Names for the speaker values the items give, from a table elsewhere in the document that
    covers them all: {"0": "Ada", "1": "Ben"} or [{"id": "spk_0", "name": "Ada"}, ...]; else {}."""
    if not wanted or len(wanted) > 60:
        return {}
    for records in lists:
        if len(records) > 200:
            continue
        for key in {k for r in records for k in r if not k.startswith("../")}:
            ids = {str(r.get(key)): r for r in records}
            names = sorted({k for r in records for k, v in r.items() if k != key and isinstance(v, str) and _SPEAKER_KEY.search(k.split(".")[-1])})
            for name in names if wanted <= ids.keys() else []:
                table = {i: " ".join(str(r.get(name) or "").split()) for i, r in ids.items()}
                if all(table[w] for w in wanted):
                    return table
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict) and wanted <= node.keys() and all(isinstance(node[w], str) and node[w].strip() for w in wanted):
            return {w: " ".join(node[w].split()) for w in wanted}
        stack += [v for v in (node.values() if isinstance(node, dict) else node if isinstance(node, list) else []) if isinstance(v, (dict, list))]
    return {}


def _speakers_by_time(others: list[tuple[list[dict], str | None]], records: list[dict], fields: Fields) -> list[str] | None:
    """Speakers for items that have none, from another list of (speaker, start, end) segments
    covering their start times (AWS Transcribe's speaker_labels), or None. `others`: each
    other list with its text key, if it has one (never a speaker)."""
    if not fields.start:
        return None
    for other, text in others:
        keys = Counter(k for r in other for k in r)
        speaker = _speaker_key(_sample(other), [k for k in keys if k != text], "")
        start = next((k for k in keys if "start" in k.lower() and not k.startswith("../")), None)
        end = next((k for k in keys if "end" in k.lower() and not k.startswith("../")), None)
        if not (speaker and start and end):
            continue
        try:
            spans = sorted((float(r[start]), float(r[end]), str(r[speaker])) for r in other if start in r and end in r and not nobody(r.get(speaker)))
        except (TypeError, ValueError):
            continue
        starts = [s for s, _, _ in spans]
        result = []
        for record in records:
            try:
                at = float(record.get(fields.start))
            except (TypeError, ValueError):
                result.append(result[-1] if result else "")  # punctuation has no time: the word before's speaker
                continue
            i = bisect.bisect_right(starts, at) - 1
            result.append(spans[i][2] if i >= 0 and at <= spans[i][1] else "")
        if any(result):
            return result
    return None


def _without_label(text: str, speaker: str) -> str:
    """"  Mr. WARNER. Mr. President, ..." said by Mr. WARNER -> "Mr. President, ...": the label repeated."""
    if speaker and (m := re.match(rf"\s*{re.escape(speaker)}\s*(?:[.:]|--)\s+", text)):
        return text[m.end() :]
    label = labels.find(text.strip()) if speaker else None  # "Mr. WARNER." said by "WARNER", "Ada Host:" by "Ada"
    if label and label.kind != "bare-a" and len(label.name) > 1 and (label.name.casefold() in speaker.casefold() or speaker.casefold() in label.name.casefold()):
        return label.rest
    return text


def _start(path: Path, record: dict, fields: Fields, number: int) -> str | None:
    value = record.get(fields.start) if fields.start else None
    try:
        if fields.milliseconds and isinstance(value, int):
            value = value / 1000
        return clock(value)
    except ValueError:
        raise BadInput(
            f"{path}: turn {number + 1}: {fields.start.split('.')[-1]} {value!r} is not a time: give seconds (75.2) or a clock time (00:01:15), or leave it out"
        ) from None


def join(pieces: list[Raw]) -> list[Raw]:
    """Items (words, sentences, utterances) -> turns: one speaker's consecutive items joined,
    punctuation items onto the word before, and unnamed speech cut where `>>` marks a new speaker."""
    turns: list[list] = []
    for speaker, text, time in pieces:
        text = text.strip()
        if not text:
            continue
        if turns and turns[-1][0] == speaker:
            turns[-1][1] += text if _PUNCTUATION.match(text) else " " + text
        else:
            turns.append([speaker, text, time])
    result: list[Raw] = []
    for speaker, text, time in turns:
        if speaker:
            result.append((speaker, text, time))
        else:
            result += [("", part, time) for part in CHANGE.split(text) if part.strip()]
    return result
