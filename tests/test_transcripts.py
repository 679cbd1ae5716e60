"""Transcripts: every input format, cleaning, persona selection, real questions kept, and
generate() sending only the passages without one to the engine."""

import json
import re
from string import Template

import pytest
from click.testing import CliRunner

from synth import cli, pipeline
from synth.generation.generate import generate
from synth.generation.job import Job
from synth.transcripts import speakers, reader as transcripts
from voicetune.engine import Generation
from voicetune.errors import BadInput, InputWarning, Notice

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
    records, _ = generate(passages, lambda: engine, Job(Template("$context $passage"), model="m"))
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
    records, _ = generate(passages, lambda: pytest.fail("started an engine"), Job(Template("$passage")))
    assert [r.question for r in records] == ["Why boats?", "And then?"]


# -- speaker labels as people write them -------------------------------------------------------------

BRIEFING = """---
title: "Press Briefing by Press Secretary Jen Psaki, May 7, 2021"
date: 2021-05-07
categories: [Press Briefings]
---

# Press Briefing by Press Secretary Jen Psaki, May 7, 2021

James S. Brady Press Briefing Room

1:20 P.M. EDT

MS. PSAKI:  Hi, everyone.

Q  Hello.  Happy Friday.

Q  Happy Friday.

MS. PSAKI:  Happy Friday.  Brian Karem has got some sunglasses on, so it must be summer.  Okay, I have a couple of items for you at the top.  Today we saw the jobs report come out, and as we have said all along, the recovery will not be a straight line.  We are focused on getting people back to work.

Q  Thanks, Jen.  On the jobs report: the number was far below what economists expected.  Does the White House think the extra benefits are keeping people from going back to work?

MS. PSAKI:  We don't see evidence of that in the data.  What we see is that parents are still caring for children who are not back in school full time, and that many people are still worried about their health.  Those are the reasons economists point to.

Q  And a follow-up: will the President change anything in his plan because of today's report?

MS. PSAKI:  No.  He believes the plan is the right one, and today's report only shows why it is needed.  He will talk about it this afternoon, and you will hear from him directly.

Q  Jen, thank you.

END                 2:05 P.M. EDT
"""


def test_press_briefing_reporters_are_q_turns_and_their_questions_are_kept(tmp_path):
    transcript = transcripts.parse(write(tmp_path, "briefing.md", BRIEFING))
    assert [t.speaker for t in transcript.turns] == ["MS. PSAKI", "Q"] * 4
    assert transcript.turns[1].text == "Hello. Happy Friday. Happy Friday."  # two reporters, one Q turn
    text = transcripts.repaired_text(transcript)
    for not_speech in ("title:", "2021-05-07", "Briefing Room", "P.M. EDT", "END"):
        assert not_speech not in text
    with pytest.warns(Notice, match=r"--persona 'Jen Psaki' is the speaker MS. PSAKI \(by part of the name\)"):
        with pytest.warns(InputWarning, match="skipped 1 of MS. PSAKI's turns"):  # "Hi, everyone."
            found = transcripts.passages(transcript, "Jen Psaki", min_chars=100)
    assert [p.question for p in found] == [
        None,
        "On the jobs report: the number was far below what economists expected. "  # "Thanks, Jen." thanks, it does not ask
        "Does the White House think the extra benefits are keeping people from going back to work?",
        "And a follow-up: will the President change anything in his plan because of today's report?",
    ]
    assert not any(re.search(r"\bQ\b|Happy Friday\. Happy|Jen, thank you", p.text) for p in found)


CONVENTIONS = {
    "deposition": (
        "Q. Where were you on the night of the fire?\nA. At home, with my sister.\n\nQ. Did you see the smoke?\n\nA. Yes, from the kitchen window.\n",
        [("Q", "Where were you on the night of the fire?"), ("A", "At home, with my sister."), ("Q", "Did you see the smoke?"), ("A", "Yes, from the kitchen window.")],
    ),
    "bare q and a": (
        "Q   Where were you?\n\nA   A long way from home.\n\nQ   Why?\n\nA   Work.\n",
        [("Q", "Where were you?"), ("A", "A long way from home."), ("Q", "Why?"), ("A", "Work.")],
    ),
    "hearing": (
        "THE CHAIRMAN. The committee will come to order.\n\nMR. SMITH. Thank you, Mr. Chairman. I will be brief.\n\n"
        "THE CHAIRMAN. Please go on.\n\nMR. SMITH. The harbour needs dredging.\n",
        [("THE CHAIRMAN", "The committee will come to order."), ("MR. SMITH", "Thank you, Mr. Chairman. I will be brief."),
         ("THE CHAIRMAN", "Please go on."), ("MR. SMITH", "The harbour needs dredging.")],
    ),
    "remarks": (
        "THE PRESIDENT:  Thank you all.\n\nQ  Mr. President, a question?\n\nTHE PRESIDENT:  Go ahead.\n\nQ  When?\n",
        [("THE PRESIDENT", "Thank you all."), ("Q", "Mr. President, a question?"), ("THE PRESIDENT", "Go ahead."), ("Q", "When?")],
    ),
    "tabs": (
        "Ada Host\tWhy boats?\nBen Guest\tBecause of my uncle.\nAda Host\tAnd then?\nBen Guest\tThen the sea.\n",
        [("Ada Host", "Why boats?"), ("Ben Guest", "Because of my uncle."), ("Ada Host", "And then?"), ("Ben Guest", "Then the sea.")],
    ),
    "bold colon inside": (
        "**Ada:** Why boats?\n\n**Ben**: Because of my uncle.\n",
        [("Ada", "Why boats?"), ("Ben", "Because of my uncle.")],
    ),
}


@pytest.mark.parametrize("name", CONVENTIONS)
def test_each_labelling_convention(tmp_path, name):
    text, turns = CONVENTIONS[name]
    transcript = transcripts.parse(write(tmp_path, "t.txt", text))
    assert [(t.speaker, t.text) for t in transcript.turns] == turns


def test_prose_that_starts_with_a_capital_is_not_a_label(tmp_path):
    book = (
        "A man came to the harbour in March. " + ANSWER + "\n\nNASA. That was the word on his cap. " + ANSWER
        + "\n\nQ was what they called him, after the letter on his boat.\n\nA long winter followed. " + ANSWER
    )
    assert not transcripts.looks_like_transcript(book)
    assert not pipeline.is_transcript(write(tmp_path, "book.md", book), pipeline.SegmentOptions(persona="Agnes Tarrow"))


@pytest.mark.parametrize(
    "persona, speaker, how",
    [
        ("MS. PSAKI", "MS. PSAKI", None),
        ("ms psaki", "MS. PSAKI", "ignoring case, punctuation and honorifics"),
        ("Psaki", "MS. PSAKI", "ignoring case, punctuation and honorifics"),
        ("Jen Psaki", "MS. PSAKI", "by part of the name"),
        ("the president", "THE PRESIDENT", None),
        ("President", "THE PRESIDENT", "ignoring case, punctuation and honorifics"),
        ("Joseph Smith", "MR. SMITH", "by part of the name"),
    ],
)
def test_persona_matches_a_label_by_case_honorific_and_surname(persona, speaker, how):
    assert speakers.match_speaker(persona, ["MS. PSAKI", "Q", "THE PRESIDENT", "MR. SMITH"]) == ([speaker], how or "exactly")


def test_an_ambiguous_persona_lists_what_it_could_be(tmp_path):
    text = "MR. SMITH: Yes.\n\nMRS. SMITH: No.\n\nMR. SMITH: Why?\n\nMRS. SMITH: Because.\n"
    transcript = transcripts.parse(write(tmp_path, "t.txt", text))
    with pytest.raises(BadInput, match=r"--persona 'Smith' could be any of MR. SMITH, MRS. SMITH in t.txt"):
        speakers.persona_name(transcript, "Smith")


def test_segment_shows_the_speakers_with_counts_and_a_sample(tmp_path):
    result = CliRunner().invoke(cli.cli, ["segment", str(write(tmp_path, "briefing.md", BRIEFING)), "--persona", "Jen Psaki", "--min-chars", "100"])
    assert result.exit_code == 0, result.output
    assert "Note: briefing.md: --persona 'Jen Psaki' is the speaker MS. PSAKI (by part of the name)" in result.stderr
    assert "  MS. PSAKI (4 turns, answers): 'Happy Friday. Brian Karem has got some sunglasses on, so it must be su...'" in result.stdout
    assert "  Q (4 turns): 'Thanks, Jen. On the jobs report: the number was far below what economi...'" in result.stdout


@pytest.mark.parametrize("start", ["soon", "1:2x", True, [1]])
def test_a_json_start_that_is_not_a_time_is_one_line(tmp_path, start):
    path = write(tmp_path, "ep.json", json.dumps([{"speaker": "Ada", "text": "Why?", "start": start}]))
    with pytest.raises(BadInput, match=r"ep.json: turn 1: start .* is not a time: give seconds \(75.2\) or a clock time"):
        transcripts.parse(path)
    result = CliRunner().invoke(cli.cli, ["segment", str(path)])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1


def test_a_transcript_in_windows_1252_is_read_and_said(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("Ada: Where did you learn the café trade, and who taught you?\n\nBen: In Cádiz, from my uncle’s partner.\n\nAda: Why?\n\nBen: It was what we had.\n".encode("cp1252"))
    with pytest.warns(Notice, match=r"t.txt: not UTF-8; read as cp125\d"):  # 1250 and 1252 agree on these letters
        transcript = transcripts.parse(path)
    assert transcript.turns[1].text == "In Cádiz, from my uncle’s partner." and "\ufffd" not in transcripts.repaired_text(transcript)


def test_bytes_in_no_text_encoding_are_refused(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(BadInput, match=r"t.txt: not UTF-8 \(byte 0x80 at offset 128\) and its encoding could not be told: convert it to UTF-8"):
        transcripts.parse(path)


def test_the_encoding_is_said_once(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("Ada: Where did you learn the café trade?\n\nBen: In Cádiz.\n\nAda: Why?\n\nBen: It was what we had, and we had little else.\n".encode("cp1252"))
    result = CliRunner().invoke(cli.cli, ["segment", str(path), "--persona", "Ben", "--min-chars", "10", "--stats"])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("not UTF-8; read as") == 1


# -- the text as a person sees it: no-break spaces, CR line ends, BOMs, emphasis around labels -----


@pytest.mark.filterwarnings("ignore::voicetune.errors.InputWarning")
def test_bare_q_followed_by_no_break_spaces_labels_the_reporter(tmp_path):
    # whitehouse.gov writes "Q" + three U+00A0 + a space, and "MS. PSAKI:" + U+00A0 + a space
    text = BRIEFING.replace("Q  ", "Q\u00a0\u00a0\u00a0 ").replace("MS. PSAKI:  ", "\u00a0\u00a0 MS. PSAKI:\u00a0 ")
    transcript = transcripts.parse(write(tmp_path, "briefing.md", text))
    ascii = transcripts.parse(write(tmp_path, "ascii.md", BRIEFING))
    assert transcript.turns == ascii.turns
    found = transcripts.passages(transcript, "MS. PSAKI", min_chars=100)
    assert [(p.text, p.question) for p in found] == [(p.text, p.question) for p in transcripts.passages(ascii, "MS. PSAKI", min_chars=100)]
    assert [p.question[:26] for p in found if p.question] == ["On the jobs report: the nu", "And a follow-up: will the "]
    assert not [p for p in found if "Thanks, Jen" in p.text or "follow-up" in p.text]


def test_words_after_a_label_keep_their_no_break_spaces_until_white_space_is_collapsed(tmp_path):
    text = "Q\u00a0 Where were you in 1969?\n\nA.\u00a0 In Paris,\u00a0 at\u202f10\u00a0rue Jacob.\n\nQ\u00a0 And then?\n\nA.\u00a0 Home."
    transcript = transcripts.parse(write(tmp_path, "t.txt", text))
    assert [(t.speaker, t.text) for t in transcript.turns][:2] == [("Q", "Where were you in 1969?"), ("A", "In Paris, at 10 rue Jacob.")]
    (passage, _) = transcripts.passages(transcript, "A", min_chars=1)
    assert transcripts.repaired_text(transcript)[passage.start : passage.end] == passage.text


@pytest.mark.parametrize(
    "ends",
    [pytest.param("\r", id="CR"), pytest.param("\u2028", id="line-separator")],
)
def test_subtitles_with_old_mac_or_unicode_line_ends_have_cues(tmp_path, ends):
    path = tmp_path / "ep.srt"
    path.write_bytes(SRT.replace("\n", ends).encode("utf-8"))
    transcript = transcripts.parse(path)
    assert [t.speaker for t in transcript.turns] == ["Ada", "Ben", "Ada"]
    assert transcript.turns[1].text == "Leaving home, without a doubt. I was sixteen." and transcript.turns[2].time == "00:01:02"


def test_cr_line_ends_in_a_text_transcript_end_its_paragraphs(tmp_path):
    path = tmp_path / "t.txt"
    text = "HOST: What happened?\n\nGUEST: It rained.\n\nThen the sun came out.\n\nHOST: And then?\n\nGUEST: We went home."
    path.write_bytes(text.replace("\n", "\r").encode("utf-8"))
    transcript = transcripts.parse(path)
    assert [(t.speaker, t.text) for t in transcript.turns][1] == ("GUEST", "It rained.\n\nThen the sun came out.")


@pytest.mark.parametrize("mark", ["\ufeff", "\u200b", "\u2060"])
def test_a_bom_or_zero_width_character_before_a_label_is_nothing(tmp_path, mark):
    # two transcripts joined with `cat`: the second one's BOM now starts a line
    text = f"HOST: What happened?\n\nGUEST: It rained.\n\n{mark}HOST: And then?\n\n{mark}GUEST: We went home."
    transcript = transcripts.parse(write(tmp_path, "t.txt", text))
    assert [(t.speaker, t.text) for t in transcript.turns] == [
        ("HOST", "What happened?"),
        ("GUEST", "It rained."),
        ("HOST", "And then?"),
        ("GUEST", "We went home."),
    ]


@pytest.mark.parametrize(
    "host, guest, names",
    [
        ("<b>Ada Host:</b>", "<b>Ben Guest:</b>", ["Ada Host", "Ben Guest"]),
        ("<strong>Ada Host</strong>:", "<STRONG class='x'>Ben Guest</STRONG>:", ["Ada Host", "Ben Guest"]),
        ("*Ada Host*:", "*Ben Guest*:", ["Ada Host", "Ben Guest"]),
        ("_Ada Host:_", "_Ben Guest:_", ["Ada Host", "Ben Guest"]),
        ("<i>Q.</i>", "<i>A.</i>", ["Q", "A"]),
        ("**Q.**", "**A.**", ["Q", "A"]),
    ],
)
def test_emphasis_around_a_label_is_unwrapped(tmp_path, host, guest, names):
    text = f"{host} So where did it all start?\n\n{guest} By the *sea*, I think.\n\n{host} And then?\n\n{guest} The boats."
    transcript = transcripts.parse(write(tmp_path, "t.md", text))
    assert [t.speaker for t in transcript.turns] == names * 2
    assert transcript.turns[1].text == "By the *sea*, I think."  # the speaker's own emphasis stays


def test_a_bold_html_label_counts_from_its_first_turn_as_markdown_bold_does(tmp_path):
    text = "<b>Ada Host:</b> Welcome, Ben.\n\n<b>Ben Guest:</b> Thank you.\n\n<b>Ada Host:</b> Where did it start?\n\nBy the sea."
    transcript = transcripts.parse(write(tmp_path, "t.md", text))
    assert [t.speaker for t in transcript.turns] == ["Ada Host", "Ben Guest", "Ada Host"]


def test_a_tab_after_a_label_is_kept_as_its_own_convention(tmp_path):
    text = "Q\tWhere were you?\nA\tIn Paris.\nQ\tAnd then?\nA\tHome.\nHost\tGood.\nHost\tThanks."
    transcript = transcripts.parse(write(tmp_path, "t.txt", text))
    assert [t.speaker for t in transcript.turns] == ["Q", "A", "Q", "A", "Host"]


def test_a_speaker_of_one_turn_is_listed_as_one_turn(tmp_path):
    transcript = transcripts.parse(write(tmp_path, "t.md", "**Ada Host:** Hello?\n\n**Ben Guest:** Hi.\n\n**Ada Host:** Bye?"))
    with pytest.raises(BadInput, match=r"speakers found: Ada Host \(2 turns\), Ben Guest \(1 turn\)$"):
        speakers.persona_name(transcript, "Cy")


@pytest.mark.parametrize(
    "persona, how",
    [
        ("JL", "by initials"),
        ("J.L.", "by initials"),
        ("j. l.", "by initials"),
        ("Ms. Lachs", "by part of the name"),
        ("jessica LACHS", "exactly"),
    ],
)
def test_persona_matches_by_initials_and_honorific_with_surname(persona, how):
    assert speakers.match_speaker(persona, ["Tim Host", "Jessica Lachs"]) == (["Jessica Lachs"], how)


FRONT_MATTER = "---\ntitle: Episode 12\nguest: {guest}\n---\n\nTim Host: Welcome. Who are you?\n\nJessica Lachs: The one who runs the numbers.\n\nTim Host: And why?\n\nJessica Lachs: Because someone has to.\n"


@pytest.mark.parametrize("guest", ["Jess Lachs", '"Jess Lachs"', "[Jess Lachs, Tim Host]"])
def test_the_front_matter_guest_names_the_persona_by_surname(tmp_path, guest):
    transcript = transcripts.parse(write(tmp_path, "t.md", FRONT_MATTER.format(guest=guest)))
    with pytest.warns(Notice, match=r"--persona 'Jess Lachs' is the speaker Jessica Lachs \(by surname, as the file's front matter names its guest\)"):
        assert speakers.persona_name(transcript, "Jess Lachs") == "Jessica Lachs"


def test_a_surname_alone_is_not_enough_without_the_front_matter(tmp_path):
    transcript = transcripts.parse(write(tmp_path, "t.md", FRONT_MATTER.format(guest="Ann Other")))
    with pytest.raises(BadInput, match=r"--persona 'Jess Lachs' is not a speaker in t.md"):
        speakers.persona_name(transcript, "Jess Lachs")


def test_initials_that_fit_two_labels_are_an_error_naming_both():
    assert speakers.match_speaker("JL", ["Jessica Lachs", "John Lee", "Q"]) == (["Jessica Lachs", "John Lee"], "by initials")


def _folder(tmp_path):
    folder = tmp_path / "episodes"
    folder.mkdir()
    write(folder, "a.md", MARKDOWN)
    write(folder, "b.md", MARKDOWN.replace("Ben Guest", "Cy Other"))
    write(folder, "c.md", MARKDOWN.replace("Ben Guest", "Di Third"))
    return folder


def test_a_folder_skips_the_files_where_the_persona_never_speaks_and_lists_them(tmp_path):
    with pytest.warns(Notice, match=r"^skipped 2 files where Ben Guest never speaks: b.md, c.md$"):
        found = pipeline.passages(_folder(tmp_path), pipeline.SegmentOptions(persona="Ben Guest"))
    assert found and {p.source for p in found} == {"a.md"}


def test_a_folder_where_the_persona_never_speaks_is_an_error_naming_the_files(tmp_path):
    with pytest.raises(BadInput, match=r"--persona 'Eve' never speaks in any of the 3 files given: a.md, b.md, c.md"):
        pipeline.passages(_folder(tmp_path), pipeline.SegmentOptions(persona="Eve"))


OTTER = "Jessica Lachs  0:05\nWelcome, everyone, it is good to be here.\n\nTim Host  0:09\nSo what do you do?\n\nJessica Lachs  0:15\n" + ANSWER + "\n\nTim Host  1:02\nAnd then?\n\nJessica Lachs  1:10\n" + ANSWER + "\n"


def test_a_name_and_a_time_alone_on_a_line_label_the_lines_below(tmp_path):
    found = pipeline.passages(write(tmp_path, "t.txt", OTTER), pipeline.SegmentOptions(persona="Jessica Lachs"))
    assert [(p.text[:20], p.question) for p in found] == [("Welcome, everyone, i", None), (ANSWER[:20], "So what do you do?"), (ANSWER[:20], "And then?")]


def test_a_name_and_time_in_parentheses_alone_on_a_line_labels_a_turn(tmp_path):
    text = "---\nguest: Jess Lachs\n---\n\n" + re.sub(r"  (\d):(\d\d)\n", r" (00:0\1:\2):\n", OTTER)
    with pytest.warns(Notice, match=r"is the speaker Jessica Lachs \(by surname, as the file's front matter names its guest\)"):
        found = pipeline.passages(write(tmp_path, "t.md", text), pipeline.SegmentOptions(persona="Jess Lachs"))
    assert [p.question for p in found[-2:]] == ["So what do you do?", "And then?"]
