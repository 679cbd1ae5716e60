"""Structured transcripts (JSON, CSV/TSV) of schemas the code was not written for, and captions
whose speakers have no names: fixtures in each service's own shape, then the real files."""

import json
import re
import warnings

import pytest
from click.testing import CliRunner

from conftest import CORPORA
from synth import cli, pipeline
from synth.transcripts import reader as transcripts
from voicetune.errors import BadInput, InputWarning

ANSWER = "I grew up by the sea, and the boats were the first machines I ever loved."
REAL = CORPORA / "transcripts"
real = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/corpora is not here")


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def turns(path):
    return [(t.speaker, t.text, t.time) for t in transcripts.parse(path).turns]


def words(text, start, step, speaker=None, ms=False):
    """Word items as speech services give them: one a word, punctuation its own item where it has a type."""
    items = []
    for i, word in enumerate(text.split()):
        at = start + i * step
        item = {"text": word, "start": int(at * 1000) if ms else at, "end": int((at + step) * 1000) if ms else at + step}
        items.append(item | ({"speaker": speaker} if speaker else {}))
    return items


def test_aws_transcribe_words_are_joined_into_turns_by_the_speaker_segments(tmp_path):
    said = [("spk_0", "Where did you learn it", "?", 0.0), ("spk_1", "From my uncle on his boat", ".", 3.0)]
    items, segments = [], []
    for speaker, text, mark, start in said:
        for i, word in enumerate(text.split()):
            items.append({"start_time": f"{start + i * 0.4:.2f}", "end_time": f"{start + i * 0.4 + 0.3:.2f}", "type": "pronunciation",
                          "alternatives": [{"confidence": "0.99", "content": word}]})
        items.append({"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": mark}]})
        segments.append({"speaker_label": speaker, "start_time": f"{start:.2f}", "end_time": f"{start + 2.9:.2f}",
                         "items": [{"speaker_label": speaker, "start_time": f"{start:.2f}", "end_time": f"{start + 0.3:.2f}"}]})
    aws = {"jobName": "ep7", "status": "COMPLETED", "results": {
        "transcripts": [{"transcript": "Where did you learn it? From my uncle on his boat."}],
        "speaker_labels": {"speakers": 2, "segments": segments}, "items": items}}
    assert turns(write(tmp_path, "ep.json", aws)) == [
        ("spk_0", "Where did you learn it?", "00:00:00"),
        ("spk_1", "From my uncle on his boat.", "00:00:03"),
    ]


def test_whisperx_segments_with_speakers_are_read_over_their_words(tmp_path):
    segments = [
        {"start": 0.5, "end": 2.0, "text": " Where did you learn it?", "speaker": "SPEAKER_00", "words": words("Where did you learn it?", 0.5, 0.3, "SPEAKER_00")},
        {"start": 62.0, "end": 66.0, "text": f" {ANSWER}", "speaker": "SPEAKER_01", "words": words(ANSWER, 62.0, 0.3, "SPEAKER_01")},
    ]
    found = turns(write(tmp_path, "ep.json", {"segments": segments, "word_segments": [w for s in segments for w in s["words"]], "language": "en"}))
    assert found == [("SPEAKER_00", "Where did you learn it?", "00:00:00"), ("SPEAKER_01", ANSWER, "00:01:02")]


def test_whisper_segments_without_speakers_are_one_unnamed_speaker_and_said(tmp_path):
    segments = [{"id": i, "seek": 0, "start": 4.0 * i, "end": 4.0 * i + 3.5, "text": f" {part}.", "tokens": [50364, 400], "temperature": 0.0,
                 "avg_logprob": -0.2, "no_speech_prob": 0.01} for i, part in enumerate(ANSWER.rstrip(".").split(", "))]
    path = write(tmp_path, "lecture.json", {"text": ANSWER, "segments": segments, "language": "en"})
    with pytest.warns(InputWarning, match=r"lecture.json: speakers are not named, no change of speaker is marked: read as one unnamed speaker's words; --persona cannot select anyone"):
        assert turns(path) == [("", "I grew up by the sea. and the boats were the first machines I ever loved.", "00:00:00")]


def test_assemblyai_utterances_in_milliseconds_over_the_words_list(tmp_path):
    utterances = [
        {"speaker": "A", "text": "Where did you learn it?", "start": 250, "end": 1900, "confidence": 0.93, "words": words("Where did you learn it?", 0.25, 0.3, "A", ms=True)},
        {"speaker": "B", "text": ANSWER, "start": 61_000, "end": 66_000, "confidence": 0.95, "words": words(ANSWER, 61.0, 0.3, "B", ms=True)},
    ]
    data = {"id": "tx-1", "status": "completed", "text": "Where did you learn it? " + ANSWER, "words": [w for u in utterances for w in u["words"]], "utterances": utterances}
    assert turns(write(tmp_path, "ep.json", data)) == [("A", "Where did you learn it?", "00:00:00"), ("B", ANSWER, "00:01:01")]


SAID = [(0, "Where did you learn it?", 0.0), (1, "From my uncle, on his boat.", 3.0), (0, "And then?", 9.0)]


def marks(text):
    """("From", ""), ("uncle", ","), ...: each word and the punctuation after it."""
    return [(w.rstrip(",.?"), w[len(w.rstrip(",.?")) :]) for w in text.split()]


def rev(who, text, start):
    elements = []
    for i, (word, mark) in enumerate(marks(text)):
        elements += [{"type": "text", "value": word, "ts": start + i * 0.3, "end_ts": start + i * 0.3 + 0.2, "confidence": 0.9}]
        elements += [{"type": "punct", "value": mark}] * bool(mark) + [{"type": "punct", "value": " "}]
    return {"speaker": who, "speaker_name": "Ada Ben".split()[who], "elements": elements}


def speechmatics(who, text, start):
    items = []
    for i, (word, mark) in enumerate(marks(text)):
        at = start + i * 0.3
        items.append({"type": "word", "start_time": at, "end_time": at + 0.2, "alternatives": [{"content": word, "confidence": 0.9, "speaker": f"S{who + 1}"}]})
        items += [{"type": "punctuation", "start_time": at + 0.2, "end_time": at + 0.2, "attaches_to": "previous", "alternatives": [{"content": mark, "speaker": f"S{who + 1}"}]}] * bool(mark)
    return items


def deepgram_words(who, text, start):
    return [{"word": w.rstrip(",.?").lower(), "punctuated_word": w, "start": start + i * 0.3, "end": start + i * 0.3 + 0.2, "speaker": who} for i, w in enumerate(text.split())]


@pytest.mark.parametrize(
    "data, names",
    [
        pytest.param({"monologues": [rev(*s) for s in SAID]}, ("Ada", "Ben"), id="rev-monologue-elements"),
        pytest.param({"format": "2.9", "results": [i for s in SAID for i in speechmatics(*s)]}, ("S1", "S2"), id="speechmatics-words"),
        pytest.param({"results": {"channels": [{"alternatives": [{"transcript": "where did you", "words": [w for s in SAID for w in deepgram_words(*s)]}]}]}},
                     ("Speaker 1", "Speaker 2"), id="deepgram-punctuated-words"),
    ],
)
def test_word_level_services_are_joined_into_punctuated_turns(tmp_path, data, names):
    assert turns(write(tmp_path, "ep.json", data)) == [(names[who], text, f"00:00:0{int(start)}") for who, text, start in SAID]


def test_a_list_of_role_and_content_messages(tmp_path):
    messages = [{"role": "user", "content": "Where did you learn it?"}, {"role": "assistant", "content": ANSWER}, {"role": "user", "content": "And then?"}]
    assert [t[:2] for t in turns(write(tmp_path, "chat.json", messages))] == [("user", "Where did you learn it?"), ("assistant", ANSWER), ("user", "And then?")]


def test_json_lines_of_turns(tmp_path):
    lines = "\n".join(json.dumps({"name": n, "said": t, "t": "00:00:0%d" % i}) for i, (n, t) in enumerate([("Ada", "Why boats?"), ("Ben", ANSWER), ("Ada", "Why?")]))
    assert [t[:2] for t in turns(write(tmp_path, "ep.json", lines))] == [("Ada", "Why boats?"), ("Ben", ANSWER), ("Ada", "Why?")]


@pytest.mark.parametrize("header", [[["who", "when", "what"]], []], ids=["header", "no-header"])
def test_a_json_table_of_rows(tmp_path, header):
    rows = header + [["Ada", "00:00:01", "Where did you learn it?"], ["Ben", "00:00:04", ANSWER], ["Ada", "00:00:09", "And then?"]]
    assert turns(write(tmp_path, "ep.json", {"rows": rows}))[:2] == [("Ada", "Where did you learn it?", "00:00:01"), ("Ben", ANSWER, "00:00:04")]


def test_numbered_speakers_are_named_speaker_1_and_2(tmp_path):
    sentences = [{"speaker_index": i % 2, "text": text, "start_time": 5.0 * i} for i, text in enumerate(["Where did you learn it?", ANSWER, "And then?"])]
    assert [t[:2] for t in turns(write(tmp_path, "ep.json", {"sentences": sentences}))] == [("Speaker 1", "Where did you learn it?"), ("Speaker 2", ANSWER), ("Speaker 1", "And then?")]


@pytest.mark.parametrize(
    "names",
    [
        pytest.param({"speakers": {"0": "Ada Host", "1": "Ben Guest"}}, id="a-map"),
        pytest.param({"speakers": [{"id": 0, "name": "Ada Host"}, {"id": 1, "name": "Ben Guest"}]}, id="a-list"),
    ],
)
def test_numbered_speakers_take_the_names_the_document_gives_them(tmp_path, names):
    segments = [{"speaker": i % 2, "text": text, "start": 5.0 * i} for i, text in enumerate(["Where did you learn it?", ANSWER, "And then?"])]
    assert [t[0] for t in turns(write(tmp_path, "ep.json", {**names, "segments": segments}))] == ["Ada Host", "Ben Guest", "Ada Host"]


def test_items_of_kinds_no_one_speaks_are_skipped_and_said_and_the_repeated_label_is_cut(tmp_path):
    content = [
        {"kind": "speech", "speaker": "The CHAIR", "text": "  The CHAIR. The Senator from Ohio is recognized.", "turn": 0, "itemno": 0},
        {"kind": "speech", "speaker": "Ms. DOE", "text": f"  Ms. DOE. Madam Chair, {ANSWER}\n  I yield the floor.", "turn": 1, "itemno": 1},
        {"kind": "heading", "speaker": "None", "text": "     SEC. 12. BOATS AND THE MEN WHO BUILD THEM.", "turn": -1, "itemno": 2},
        {"kind": "clerk", "speaker": "The CLERK", "text": "  The clerk read as follows: the amendment is agreed to.", "turn": -1, "itemno": 3},
        {"kind": "speech", "speaker": "The CHAIR", "text": "  The CHAIR. Without objection, it is so ordered.", "turn": 2, "itemno": 4},
    ]
    path = write(tmp_path, "record.json", {"title": "BOATS", "content": content, "header": {"chamber": "Senate"}})
    with pytest.warns(InputWarning, match=r"record.json: skipped 2 items that are not speech \(kind 'heading': 1, kind 'clerk': 1\)"):
        found = turns(path)
    assert [t[:2] for t in found] == [
        ("The CHAIR", "The Senator from Ohio is recognized."),
        ("Ms. DOE", f"Madam Chair, {ANSWER} I yield the floor."),
        ("The CHAIR", "Without objection, it is so ordered."),
    ]


def test_a_blank_speaker_cell_continues_the_speaker_before_and_a_label_in_another_spelling_is_cut(tmp_path):
    text = f'Speaker,Text\nADA,ADA HOST: Where did you learn it?\nBen,"Ben: {ANSWER}"\n,And my uncle taught me the rest.\nADA,Why?\n'
    with pytest.warns(InputWarning, match=r"ep.csv: 1 item names no speaker: each is read as the words of the speaker before it"):
        found = turns(write(tmp_path, "ep.csv", text))
    assert [t[:2] for t in found] == [("ADA", "Where did you learn it?"), ("Ben", f"{ANSWER} And my uncle taught me the rest."), ("ADA", "Why?")]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f'Speaker,Start,End,Text\nAda,00:00:01,00:00:03,Where did you learn it?\nBen,0:00:04,0:00:09,"{ANSWER}"\n', id="otter-csv"),
        pytest.param(f"Speaker Name\tStart Time\tText\nAda\t1.0\tWhere did you learn it?\nBen\t4.5\t{ANSWER}\n", id="tsv-header"),
        pytest.param(f'Ada;00:01;Where did you learn it?\nBen;00:04;"{ANSWER}"\nAda;00:10;And then, after that, what?\n', id="no-header-semicolons"),
    ],
)
def test_csv_and_tsv_with_or_without_a_header(tmp_path, text):
    found = turns(write(tmp_path, "ep.tsv" if "\t" in text else "ep.csv", text))
    assert [t[:2] for t in found[:2]] == [("Ada", "Where did you learn it?"), ("Ben", ANSWER)] and found[0][2] == "00:00:01"


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("ep.json", [1, 2, 3], r"ep.json: no list of turns found: expected items with a text field"),
        ("ep.json", {"speakers": [{"name": "Ada"}, {"name": "Ben"}]}, r"no list of turns found"),
        ("ep.csv", "a,b\n1,2\n3,4\n", r"ep.csv: no list of turns found"),
        ("ep.csv", "\n\n", r"ep.csv: no rows: give one turn a row"),
    ],
)
def test_structured_files_without_turns_are_one_line(tmp_path, name, data, message):
    path = write(tmp_path, name, data)
    with pytest.raises(BadInput, match=message):
        transcripts.parse(path)
    result = CliRunner().invoke(cli.cli, ["segment", str(path)])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1


# -- captions that name no one ---------------------------------------------------------------------

CHEVRONS = """WEBVTT

00:00:00.000 --> 00:00:00.000

00:00:01.000 --> 00:00:03.000
successor agency.
&gt;&gt; good morning, welcome to

00:00:03.000 --> 00:00:05.000
the meeting. roll call, councilmember fife?
>> present.

00:00:05.000 --> 00:00:08.000
>> thank you. we begin with
public comment.
"""


def test_double_chevrons_start_unnamed_turns_that_never_merge(tmp_path):
    path = write(tmp_path, "council.vtt", CHEVRONS)
    with pytest.warns(InputWarning, match=r"council.vtt: speakers are not named, where a new speaker starts is marked \(e.g. '>>'\), not who it is: 4 turns read as unnamed speakers'; --persona cannot select anyone"):
        found = turns(path)
    assert found == [
        ("", "successor agency.", "00:00:01"),
        ("", "good morning, welcome to the meeting. roll call, councilmember fife?", "00:00:01"),
        ("", "present.", "00:00:03"),
        ("", "thank you. we begin with public comment.", "00:00:05"),
    ]


def test_unnamed_turns_give_passages_of_one_turn_each_and_persona_is_refused(tmp_path):
    srt = "".join(f"{i}\n00:00:{i:02d},000 --> 00:00:{i + 1:02d},000\n>> {who} {ANSWER}\n\n" for i, who in enumerate(["First,", "Second,", "Third,"], start=1))
    path = write(tmp_path, "council.srt", srt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = pipeline.passages(path, pipeline.SegmentOptions(min_chars=20))
        with pytest.raises(BadInput, match=r"council.srt has no speaker labels: drop --persona"):
            pipeline.passages(path, pipeline.SegmentOptions(persona="Fife", min_chars=20))
    assert [p.text.split(",")[0] for p in found] == ["First", "Second", "Third"] and not any(">>" in p.text for p in found)


def test_subtitle_dialogue_dashes_are_two_unnamed_speakers_and_a_lone_dash_is_not(tmp_path):
    srt = "1\n00:00:01,000 --> 00:00:03,000\n- Did you see the boat?\n- Not yet.\n\n2\n00:00:03,000 --> 00:00:05,000\nIt sails at noon -\n-\nsharp, they say.\n"
    with pytest.warns(InputWarning, match=r"ep.srt: speakers are not named, where a new speaker starts is marked"):
        assert [t[1] for t in turns(write(tmp_path, "ep.srt", srt))] == ["Did you see the boat?", "Not yet. It sails at noon - - sharp, they say."]


def test_a_folder_with_persona_skips_captions_that_name_no_one(tmp_path):
    write(tmp_path, "a_council.srt", f"1\n00:00:01,000 --> 00:00:04,000\n>> {ANSWER}\n\n2\n00:00:05,000 --> 00:00:08,000\n>> {ANSWER}\n")
    write(tmp_path, "b_talk.srt", f"1\n00:00:01,000 --> 00:00:04,000\nAda: Where did you learn it?\n\n2\n00:00:05,000 --> 00:00:08,000\nBen: {ANSWER}\n\n"
                                  "3\n00:00:09,000 --> 00:00:10,000\nAda: And then?\n")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        found = pipeline.passages(tmp_path, pipeline.SegmentOptions(persona="Ben", min_chars=20))
    assert [p.source for p in found] == ["b_talk.srt"] and found[0].question == "Where did you learn it?"
    assert any("skipped 1 file where Ben never speaks: a_council.srt" in str(w.message) for w in seen)


def test_named_captions_with_an_unnamed_change_keep_it_apart(tmp_path):
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ada>Where did you learn it?\n\n00:02.000 --> 00:05.000\n<v Ben>On a boat.\n>> Sorry, can you repeat that?\n"
    with pytest.warns(InputWarning, match=r"ep.vtt: 1 of 3 turns have no speaker's name"):
        assert [t[:2] for t in turns(write(tmp_path, "ep.vtt", vtt))] == [("Ada", "Where did you learn it?"), ("Ben", "On a boat."), ("", "Sorry, can you repeat that?")]


def test_voice_tags_with_classes_several_in_one_cue_and_escapes(tmp_path):
    vtt = ("WEBVTT\n\nNOTE two voices in one cue\n\n1\n00:00:01.000 --> 00:00:04.000 align:start position:10%\n"
           "<v.loud Ada Host>Fish &amp; chips?</v> <v Ben Guest><00:00:02.500>Never, <i>not once</i>.</v>\n\n"
           "00:00:04.000 --> 00:00:06.000\n<c.yellow>Only boats.</c>\n")
    assert turns(write(tmp_path, "ep.vtt", vtt)) == [("Ada Host", "Fish & chips?", "00:00:01"), ("Ben Guest", "Never, not once. Only boats.", "00:00:01")]


# -- the real files ----------------------------------------------------------------------------------


@real
def test_real_congressional_record_json_gives_warners_speeches_without_labels_or_the_clerk():
    path = next(REAL.glob("13_*.json"))
    with pytest.warns(InputWarning, match=r"skipped 31 items that are not speech \(kind 'recorder': 16, kind 'title': 14, kind 'linebreak': 1\)"):
        transcript = transcripts.parse(path)
    counts = {s: sum(1 for t in transcript.turns if t.speaker == s) for s in {t.speaker for t in transcript.turns}}
    assert counts == {"The PRESIDING OFFICER": 28, "Mr. WARNER": 25, "Mr. LEVIN": 12, "Mr. SESSIONS": 2, "Mr. SALAZAR": 1}  # 27 and 13 speeches, two pairs back to back
    warner = " ".join(t.text for t in transcript.turns if t.speaker == "Mr. WARNER")
    assert warner.startswith("Mr. President, I rise regarding the pending bill") and not re.search(r"Mr\. [A-Z]{3,}\.|clerk read", warner)


@real
@pytest.mark.parametrize("prefix", ["20_", "21_"])
def test_real_council_captions_and_their_json_give_the_same_unnamed_turns(prefix):
    path = next(REAL.glob(f"{prefix}*"))
    with pytest.warns(InputWarning, match=r"speakers are not named, where a new speaker starts is marked .*: 55 turns read as unnamed"):
        transcript = transcripts.parse(path)
    assert {t.speaker for t in transcript.turns} == {""} and not any(">>" in t.text for t in transcript.turns)
    assert transcript.turns[2].text.lower() == "present." and transcript.turns[-1].text.lower().startswith("thank you to everyone for participating")


@real
@pytest.mark.parametrize("prefix", ["18_", "19_"])
def test_real_podcast_captions_still_give_travis_his_turns(prefix):
    transcript = transcripts.parse(next(REAL.glob(f"{prefix}*")))
    assert {t.speaker for t in transcript.turns} == {"Travis", "Sarah", "Gilon"}
    assert [t.speaker for t in transcript.turns] == ["Travis", "Sarah", "Travis", "Gilon", "Travis", "Gilon", "Travis", "Sarah", "Gilon", "Travis"]


def _rolling(lines: list[str]) -> str:
    """YouTube's automatic captions: each cue shows the line before again above the new one (with
    word timings), then a 10 ms cue shows the new line alone."""
    cues, t = ["WEBVTT\nKind: captions\nLanguage: en\n"], 0
    for before, line in zip([""] + lines, lines):
        timed = "".join(f"<00:00:{t:02d}.{k}00><c> {w}</c>" for k, w in enumerate(line.split()[1:]))
        cues.append(f"00:00:{t:02d}.000 --> 00:00:{t + 2:02d}.000 align:start position:0%\n{before or ' '}\n{line.split()[0]}{timed}\n")
        cues.append(f"00:00:{t + 2:02d}.000 --> 00:00:{t + 2:02d}.010 align:start position:0%\n{line}\n \n")
        t += 2
    return "\n".join(cues)


def test_rolling_captions_give_each_line_once_and_plain_subtitles_keep_a_line_said_twice(tmp_path):
    lines = ["so I grew up by the sea", "and my father had a boat", "that we took out every summer", "no", "no", "not once did it sink"]
    with pytest.warns(InputWarning):
        assert [t[1] for t in turns(write(tmp_path, "talk.vtt", _rolling(lines)))] == [" ".join(lines)]
    plain = "WEBVTT\n\n" + "".join(f"00:00:{k:02d}.000 --> 00:00:{k + 1:02d}.000\n{line}\n\n" for k, line in enumerate(["No.", "No.", "Not once.", "Not once.", "Never."]))
    with pytest.warns(InputWarning):
        assert [t[1] for t in turns(write(tmp_path, "said.vtt", plain))] == ["No. No. Not once. Not once. Never."]


def test_a_folder_skips_its_data_files_that_hold_no_turns_and_says_so(tmp_path):
    write(tmp_path, "catch.csv", "year,catch_tonnes,boats\n1990,1200,34\n1991,1100,33\n")
    write(tmp_path, "package.json", {"name": "site", "version": "1.0.0"})
    write(tmp_path, "talk.txt", "Ada Host: Why boats?\n\nBen Guest: " + ANSWER + "\n\nAda Host: And then?\n\nBen Guest: " + ANSWER + "\n")
    with pytest.warns(Warning, match=r"skipped 2 files that hold no turns of speech: catch.csv, package.json"):
        found = pipeline.passages(tmp_path, pipeline.SegmentOptions(persona="Ben Guest", min_chars=20))
    assert [p.text for p in found] == [ANSWER, ANSWER]
    (tmp_path / "talk.txt").unlink()
    with pytest.raises(BadInput, match="none of the 2 files given holds a transcript or a book"):
        pipeline.passages(tmp_path, pipeline.SegmentOptions())
    with pytest.raises(BadInput, match="catch.csv: no list of turns found"):
        pipeline.passages(tmp_path / "catch.csv", pipeline.SegmentOptions())
