"""Transcripts: every input format, cleaning, persona selection, real questions kept, and
generate() sending only the passages without one to the engine."""

import json
from string import Template

import pytest

from synth import generate, pipeline, transcripts
from synth.engine import Generation
from synth.extract import BadInput, InputWarning

ANSWER = "I grew up by the sea, and the boats were the first machines I ever loved. " * 5  # over min_chars

MARKDOWN = f"""# Episode 7

**Ada Host:** Welcome to the show. Today I have Ben Guest with me. \\[00:10\\]

**Ben Guest:** Hello! (Laughs.)

**Ada Host:** So where did it all start for you?

**Ben Guest:** {ANSWER}

\\[01:20\\] And that was only the beginning. [laughs] So I said: it was the engines.

**Ada Host:** I see. That is a lovely story.

**Ben Guest:** {ANSWER.replace("sea", "harbour")}
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_markdown_speaker_labels_timestamps_and_stage_notes(tmp_path):
    transcript = transcripts.parse(write(tmp_path, "ep.md", MARKDOWN))
    assert [t.speaker for t in transcript.turns] == ["Ada Host", "Ben Guest"] * 3
    assert transcript.turns[0].text == "Welcome to the show. Today I have Ben Guest with me."
    assert transcript.turns[1].text == "Hello!"
    ben = transcript.turns[3]
    assert ben.text.endswith("And that was only the beginning. So I said: it was the engines.")  # one turn, not a new speaker
    assert "\\[" not in ben.text and "laughs" not in ben.text.lower()
    assert ben.time == "00:00:10" and transcript.turns[4].time == "00:01:20"


def test_plain_labels_in_a_text_file(tmp_path):
    text = "HOST: First question, what happened?\nGUEST: It rained for a week.\nHOST: And then?\n\nGUEST: Then the sun came out."
    transcript = transcripts.parse(write(tmp_path, "t.txt", text))
    assert [(t.speaker, t.text) for t in transcript.turns] == [
        ("HOST", "First question, what happened?"),
        ("GUEST", "It rained for a week."),
        ("HOST", "And then?"),
        ("GUEST", "Then the sun came out."),
    ]


SRT = """1
00:00:01,000 --> 00:00:03,500
Ada: What was the hardest part?

2
00:00:03,600 --> 00:00:06,000
Ben: Leaving home,
without a doubt.

3
00:00:06,100 --> 00:00:09,000
I was sixteen. (Cross-talk.)

4
00:01:02,000 --> 00:01:04,000
Ada: Why?
"""


def test_srt_cues_merge_per_speaker_without_numbers_or_timings(tmp_path):
    transcript = transcripts.parse(write(tmp_path, "ep.srt", SRT))
    assert [(t.number, t.speaker, t.text, t.time) for t in transcript.turns] == [
        (1, "Ada", "What was the hardest part?", "00:00:01"),
        (2, "Ben", "Leaving home, without a doubt. I was sixteen.", "00:00:03"),
        (3, "Ada", "Why?", "00:01:02"),
    ]


VTT = """WEBVTT
Kind: captions

NOTE recorded in the studio

intro
00:01.000 --> 00:04.000
<v Ada Host>Where did you <i>learn</i> it?</v>

00:04.500 --> 00:08.000
<v Ben Guest>From my uncle, on his boat.

00:08.500 --> 00:09.000
He shouted the names of things.
"""


def test_vtt_voice_tags_and_headers(tmp_path):
    transcript = transcripts.parse(write(tmp_path, "ep.vtt", VTT))
    assert [(t.speaker, t.text, t.time) for t in transcript.turns] == [
        ("Ada Host", "Where did you learn it?", "00:00:01"),
        ("Ben Guest", "From my uncle, on his boat. He shouted the names of things.", "00:00:04"),
    ]


@pytest.mark.parametrize("wrap", [lambda turns: turns, lambda turns: {"episode": 7, "turns": turns}])
def test_json_turn_list_or_object_holding_one(tmp_path, wrap):
    turns = [{"speaker": "Ada", "text": "Why boats?", "start": 75.2}, {"speaker": "Ben", "text": "Because of my uncle."}]
    transcript = transcripts.parse(write(tmp_path, "ep.json", json.dumps(wrap(turns))))
    assert [(t.speaker, t.text, t.time) for t in transcript.turns] == [("Ada", "Why boats?", "00:01:15"), ("Ben", "Because of my uncle.", None)]


@pytest.mark.parametrize("text", ["{not json", '{"title": "no turns"}', '[{"speaker": "A"}]'])
def test_bad_json_is_a_clear_error(tmp_path, text):
    with pytest.raises(BadInput, match="JSON|turns"):
        transcripts.parse(write(tmp_path, "ep.json", text))


# -- persona ---------------------------------------------------------------------------------------


def test_persona_answers_keep_the_real_question(tmp_path):
    with pytest.warns(InputWarning, match="skipped 1 of Ben Guest's turns"):  # "Hello!"
        passages = transcripts.passages(transcripts.parse(write(tmp_path, "ep.md", MARKDOWN)), "ben guest")
    assert len(passages) == 2
    first, second = passages
    assert first.question == "So where did it all start for you?" and first.turns == "3-4"
    assert first.text.startswith("I grew up by the sea")
    assert second.question is None and second.turns == "6"  # "That is a lovely story." asks nothing
    assert second.text.startswith("I grew up by the harbour")


def test_long_persona_turn_is_split_and_only_its_first_part_keeps_the_question(tmp_path):
    transcript = transcripts.parse(write(tmp_path, "ep.md", MARKDOWN))
    with pytest.warns(InputWarning):
        passages = transcripts.passages(transcript, "Ben Guest", min_chars=100, max_chars=200)
    parts = [p for p in passages if p.turns in ("3-4", "4")]
    assert len(parts) > 2 and parts[0].question and not any(p.question for p in parts[1:])
    assert all(len(p.text) <= 200 for p in parts)
    text = transcripts.repaired_text(transcript)
    assert all(text[p.start : p.end] == p.text for p in passages)


def test_unknown_persona_lists_the_speakers(tmp_path):
    transcript = transcripts.parse(write(tmp_path, "ep.md", MARKDOWN))
    with pytest.raises(BadInput, match=r"--persona 'Cy' is not a speaker in ep.md; speakers found: Ada Host \(3 turns\), Ben Guest \(3 turns\)"):
        transcripts.passages(transcript, "Cy")


def test_several_speakers_and_no_persona_asks_for_one(tmp_path):
    with pytest.raises(BadInput, match="choose whose words become answers with --persona NAME"):
        pipeline.passages(write(tmp_path, "ep.md", MARKDOWN), pipeline.SegmentOptions())


def test_a_monologue_needs_no_persona(tmp_path):
    passages = pipeline.passages(write(tmp_path, "talk.srt", "1\n00:00:01,000 --> 00:00:05,000\n" + ANSWER), pipeline.SegmentOptions())
    assert len(passages) == 1 and passages[0].question is None and passages[0].time == "00:00:01"


def test_a_book_in_markdown_is_not_a_transcript(tmp_path):
    book = write(tmp_path, "book.md", "# Chapter 1\n\n" + ANSWER + "\n\nNote: this is a sentence with a colon.\n\n" + ANSWER)
    assert not pipeline.is_transcript(book, pipeline.SegmentOptions())


def test_persona_on_a_pdf_only_names_the_author_and_pages_on_a_transcript_is_an_error(tmp_path):
    assert not pipeline.is_transcript(tmp_path / "book.pdf", pipeline.SegmentOptions(persona="Ben"))
    with pytest.raises(BadInput, match="--pages applies to PDFs"):
        pipeline.passages(write(tmp_path, "ep.md", MARKDOWN), pipeline.SegmentOptions(persona="Ben Guest", pages=(1, 2)))


# -- generation ------------------------------------------------------------------------------------


class FakeEngine:
    """Answers every conversation with the same question and remembers what it was sent."""

    model = "fake"

    def __init__(self):
        self.sent = []

    def stream(self, conversations, sampling):
        self.sent.extend(conversations)
        for i, _ in enumerate(conversations):
            yield i, Generation("Why did you love the harbour so much?", 8, True)


def test_only_passages_without_a_real_question_go_to_the_engine(tmp_path):
    with pytest.warns(InputWarning):
        passages = pipeline.passages(write(tmp_path, "ep.md", MARKDOWN), pipeline.SegmentOptions(persona="Ben Guest"))
    engine = FakeEngine()
    records, _ = generate.generate(passages, lambda: engine, generate.Job(Template("$context $passage"), model="m"))
    assert len(engine.sent) == 1 and "harbour" in engine.sent[0][0]["content"]
    assert [(r.question, r.question_source) for r in records] == [
        ("So where did it all start for you?", "transcript"),
        ("Why did you love the harbour so much?", "generated"),
    ]
    assert records[0].source == {"file": "ep.md", "turns": "3-4", "time": "00:00:10", "chars": [passages[0].start, passages[0].end]}
    assert records[0].model is None and records[1].model == "m"


def test_a_transcript_where_every_answer_has_its_question_starts_no_engine(tmp_path):
    text = "Ada: Why boats?\n\nBen: " + ANSWER + "\n\nAda: And then?\n\nBen: " + ANSWER.replace("sea", "quay")
    passages = pipeline.passages(write(tmp_path, "ep.txt", text), pipeline.SegmentOptions(persona="Ben"))
    records, _ = generate.generate(passages, lambda: pytest.fail("started an engine"), generate.Job(Template("$passage")))
    assert [r.question for r in records] == ["Why boats?", "And then?"]
