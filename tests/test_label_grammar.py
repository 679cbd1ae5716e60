"""The plain-text label grammar in every spelling people write it, with fixtures of our own and
the real files (the NASA air-to-ground log, the Latin-1 play), and the real question trimmed to
the part of the interviewer's turn that asks."""

import re
from collections import Counter

import pytest

from synth import pipeline
from synth.transcripts import reader
from synth.transcripts.questions import real_question
from conftest import CORPORA
from voicetune.errors import Notice

TURNS = [("Ada Host", "Why boats?"), ("Ben Guest", "Because of my uncle. He had a boat."), ("Ada Host", "And then?"), ("Ben Guest", "Then the sea.")]

# each spelling of the same four turns; "He had a boat." is a continuation with no name
SPELLINGS = {
    "name (time): alone, text below, (time): continuation": (
        "Ada Host (00:00:05):\nWhy boats?\n\nBen Guest (00:00:09):\nBecause of my uncle.\n\n(00:01:11):\nHe had a boat.\n\n"
        "Ada Host (00:02:00):\nAnd then?\n\nBen Guest (00:02:05):\nThen the sea.\n"
    ),
    "(time): continuation inline": (
        "Ada Host (00:00:05): Why boats?\n\nBen Guest (00:00:09): Because of my uncle.\n\n(00:01:11): He had a boat.\n\n"
        "Ada Host (00:02:00): And then?\n\nBen Guest (00:02:05): Then the sea.\n"
    ),
    "[time] NAME:": "[00:00:05] Ada Host: Why boats?\n[00:00:09] Ben Guest: Because of my uncle.\n[00:01:11] He had a boat.\n[00:02:00] Ada Host: And then?\n[00:02:05] Ben Guest: Then the sea.\n",
    "NAME [time] alone": "ADA HOST [00:05]\nWhy boats?\n\nBEN GUEST [00:09]\nBecause of my uncle.\n\n[01:11]\nHe had a boat.\n\nADA HOST [02:00]\nAnd then?\n\nBEN GUEST [02:05]\nThen the sea.\n",
    "time Name alone": "00:00:05 Ada Host\nWhy boats?\n\n00:00:09 Ben Guest\nBecause of my uncle.\n\n00:01:11\nHe had a boat.\n\n00:02:00 Ada Host\nAnd then?\n\n00:02:05 Ben Guest\nThen the sea.\n",
    "Name  time alone": "Ada Host  00:05\nWhy boats?\n\nBen Guest  00:09\nBecause of my uncle.\n\n01:11\nHe had a boat.\n\nAda Host  2:00\nAnd then?\n\nBen Guest  2:05\nThen the sea.\n",
    "NAME -- text": "ADA HOST -- Why boats?\n\nBEN GUEST--Because of my uncle.\nHe had a boat.\n\nADA HOST \u2014 And then?\n\nBEN GUEST--Then the sea.\n",
    "Name.--text": "Ada Host.--Why boats?\n\nBen Guest.--Because of my uncle. He had a boat.\n\nAda Host.--And then?\n\nBen Guest.--Then the sea.\n",
    ">> NAME:": ">> ADA HOST: Why boats?\n>> BEN GUEST: Because of my uncle.\nHe had a boat.\n>> ADA HOST: And then?\n>> BEN GUEST: Then the sea.\n",
    "NAME. alone, a play": "ADA HOST.\n\nWhy boats?\n\nBEN GUEST.\n\nBecause of my uncle.\n\n[_Pausing._]\n\nHe had a boat.\n\nADA HOST.\n\n[_Smiling._] And then?\n\nBEN GUEST.      }\n\nThen the sea.\n",
    "[time] - Name alone (Happy Scribe)": (
        "[00:00:05.12] - Ada Host\nWhy boats?\n\n[00:00:09.40] - Ben Guest\nBecause of my uncle.\n\n[00:01:11.00]\nHe had a boat.\n\n"
        "[00:02:00.00] - Ada Host\nAnd then?\n\n[00:02:05.00] - Ben Guest\nThen the sea.\n"
    ),
    "Name: [time] text (Sonix)": "Ada Host: [00:00:05] Why boats?\n\nBen Guest: [00:00:09] Because of my uncle.\n[00:01:11] He had a boat.\n\nAda Host: [00:02:00] And then?\n\nBen Guest: [00:02:05] Then the sea.\n",
    "NAME alone, no mark, no blank lines": "ADA HOST\nWhy boats?\nBEN GUEST\nBecause of my uncle.\nHe had a boat.\nADA HOST\nAnd then?\nBEN GUEST\nThen the sea.\n",
    "Name - text": "Ada Host - Why boats?\r\nBen Guest - Because of my uncle.\r\nHe had a boat.\r\nAda Host \u2013 And then?\r\nBen Guest \u2013 Then the sea.\r\n",
    "honorifics": "Ms. Ada Host: Why boats?\n\nDr. Ben Guest: Because of my uncle. He had a boat.\n\nMs. Ada Host: And then?\n\nDr. Ben Guest: Then the sea.\n",
    "YAML front matter and a title block": (
        "---\ntitle: Boats\nguest: Ben Guest\n---\n\n# Boats, episode 3\n\nRecorded in Hull, March 2024\n\n"
        "Ada Host: Why boats?\n\nBen Guest: Because of my uncle. He had a boat.\n\nAda Host: And then?\n\nBen Guest: Then the sea.\n"
    ),
    "a flight log: [dd:hh:mm:ss], CODE:, field lines": (
        "[-00:00:00:03]\n_page : 148\n_tape :\nAH: Why boats?\n\n[00:00:00:07]\nBG: Because of my uncle.\n\n[00:00:00:08]\n_extra : FIRST ORBIT\n"
        "BG: He had a boat.\n\n[01:00:00:13]\nAH: And then?\n\n[01:00:00:15]\nBG: Then the sea.\n"
    ),
}


@pytest.mark.parametrize("name", SPELLINGS)
def test_each_spelling_of_a_label_gives_the_same_turns(tmp_path, name):
    path = tmp_path / "t.txt"
    path.write_text(SPELLINGS[name], encoding="utf-8")
    turns = [(t.speaker, " ".join(t.text.split())) for t in reader.parse(path).turns]
    codes = {"AH": "Ada Host", "BG": "Ben Guest"}
    names = [(re.sub(r"^(?:Ms|Dr)\. ", "", codes.get(s, s)).title(), text) for s, text in turns]
    assert names == TURNS


@pytest.mark.parametrize(
    "text, turns",
    [
        ("SPEAKER 1: Why boats?\nSPEAKER 2: Because of my uncle.\nSPEAKER 1: And then?\nSPEAKER 2: Then the sea.\n", ["SPEAKER 1", "SPEAKER 2"] * 2),
        ("Q. Why boats?\nA. Because of my uncle.\nQ. And then?\nA. Then the sea.\n", ["Q", "A"] * 2),
        ("Q: Why boats?\nA: Because of my uncle.\nQ: And then?\nA: Then the sea.\n", ["Q", "A"] * 2),
        ("Q Why boats?\nA Because of my uncle.\nQ And then?\nA Then the sea.\n", ["Q", "A"] * 2),
        ("Q.--Why boats?\n\nA.--Because of my uncle.\n\nQ.\u2014And then?\n\nA.\u2014Then the sea.\n", ["Q", "A"] * 2),
        ("\u00c9mile Zola: Pourquoi?\nJOS\u00c9 GARC\u00cdA: Parce que.\n\u00c9mile Zola: Et alors?\nJOS\u00c9 GARC\u00cdA: La mer.\n", ["\u00c9mile Zola", "JOS\u00c9 GARC\u00cdA"] * 2),
        ("JIMMIE, MRS. UPJOHN, AND ROPER.\n\nLil!\n\nLILY.\n\nWhat?\n\nJIMMIE, MRS. UPJOHN, AND ROPER.\n\nLily!\n\nLILY.\n\nNo.\n", ["JIMMIE, MRS. UPJOHN, AND ROPER", "LILY"] * 2),
    ],
)
def test_codes_numbers_q_and_a_and_names_said_together(tmp_path, text, turns):
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    assert [t.speaker for t in reader.parse(path).turns] == turns


def test_a_name_alone_once_counts_where_the_file_sets_names_alone_and_a_chevron_alone_is_nobodys(tmp_path):
    play = "ADA.\n\nWhy boats?\n\nBEN.\n\nMy uncle.\n\nTHE LADIES.\n\nHow sweet!\n\nADA.\n\nAnd then?\n\nBEN.\n\nThe sea.\n"
    path = tmp_path / "play.txt"
    path.write_text(play, encoding="utf-8")
    assert [t.speaker for t in reader.parse(path).turns] == ["ADA", "BEN", "THE LADIES", "ADA", "BEN"]
    path.write_text(">> ADA: Why boats?\n>> Because of his uncle, I heard.\n>> BEN: My uncle.\n>> ADA: And then?\n>> BEN: The sea.\n", encoding="utf-8")
    transcript = reader.parse(path)
    assert [t.speaker for t in transcript.turns] == ["ADA", "", "BEN", "ADA", "BEN"]  # not BEN's, not ADA's
    assert "heard" not in " ".join(p.text for p in reader.passages(transcript, "BEN", min_chars=1))


def test_prose_with_times_dashes_and_capitals_has_no_labels(tmp_path):
    prose = (
        "At 10:30 we left the harbour, and the wind was up.\n\nAt 10:30 the next day we were back.\n\n"
        "Oh-- I never thought we would.\n\nOh-- but we did, and the boat was whole.\n\n"
        "THE NOTORIOUS MRS. EBBSMITH was the play we saw.\n\nTHE NOTORIOUS MRS. EBBSMITH ran for a month.\n\n"
        "CHAPTER IV\nThe boat came in at dawn.\n\nCHAPTER V\nThe boat went out again.\n\nXII\nWe sailed.\n\nXII\nWe sailed again.\n\n"
        "END OF PART ONE\n\nEND OF PART ONE\n"
    )
    assert not reader.looks_like_transcript(prose)
    path = tmp_path / "book.txt"
    path.write_text(prose, encoding="utf-8")
    assert not pipeline.is_transcript(path, pipeline.SegmentOptions())


# -- the real files ---------------------------------------------------------------------------------

NASA = CORPORA / "transcripts" / "14_nasa_mercury-atlas-6_glenn_air-to-ground_timestamp-line-then-CODE-colon.txt"
PLAY = CORPORA / "transcripts" / "22_play_mind-the-paint-girl_pinero-1912_CAPS-name-line_latin1-crlf.txt"
absent = pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is not here")


@pytest.mark.corpora
@absent
@pytest.mark.filterwarnings("ignore::voicetune.errors.InputWarning")
def test_the_flight_log_gives_the_pilots_words_without_times_fields_or_the_one_ground_line():
    transcript = reader.parse(NASA)
    speakers = Counter(t.speaker for t in transcript.turns)
    assert set(speakers) == {"P", "CC", "CT", "R", "S", "SY", "G"}  # G speaks once, as the codes around it do
    found = reader.passages(transcript, "P")
    text = "\n".join(p.text for p in found)
    assert not re.search(r"\[-?\d\d:|_page|_tape|_extra|\[glossary|\[time:|\bCC:|He has contact", text)
    pilot = " ".join(t.text for t in transcript.turns if t.speaker == "P").split()
    assert len(text.split()) >= 0.95 * len(pilot)


@pytest.mark.corpora
@absent
@pytest.mark.filterwarnings("ignore::voicetune.errors.InputWarning", "ignore::voicetune.errors.Notice")
def test_the_play_gives_lilys_lines_without_directions_acts_others_or_the_licence():
    transcript = reader.parse(PLAY)
    speakers = Counter(t.speaker for t in transcript.turns)
    assert {"THE LADIES", "PALK", "TAVISH", "JIMMIE, MRS. UPJOHN, AND ROPER"} <= set(speakers)
    assert not {"London", "THE NOTORIOUS MRS", "DAMAGE"} & set(speakers)  # the title page and the licence
    found = reader.passages(transcript, "LILY")
    text = "\n".join(p.text for p in found)
    assert len(found) >= 250
    assert not re.search(r"\[_|_\]|END OF THE|THE (?:SECOND|THIRD) ACT|Gutenberg|Many happy returns of the day|Buck up, Lil", text)


# -- the real question: the part of the interviewer's turn that asks --------------------------------

AD_READ = (
    "This episode is brought to you by our friends at Linode. Go to linode.com/changelog to get $100 in credit. "
    "Their cloud servers start at five dollars a month and come with a free trial, so sign up today. "
)


@pytest.mark.parametrize(
    "turn, question",
    [
        (AD_READ + "So, Henk, where did it all start for you?", "So, Henk, where did it all start for you?"),
        ("Welcome to the show, Henk, how are you?", "Henk, how are you?"),
        ("Welcome back to the show. It's great to have you here.", None),
        ("We'll be right back after this word from our sponsor.", None),
        (AD_READ + "What are you waiting for? Use code VOICE at checkout.", None),
        ("Next question.", None),
        ("Next question?", None),
        ("Thank you. Go ahead.", None),
        ("Thanks, Jen. Will the President sign it?", "Will the President sign it?"),
        ("Why boats? Take your time.", "Why boats?"),
        ("Why boats?", "Why boats?"),
    ],
)
def test_real_question_is_what_asks_never_an_ad_a_welcome_or_housekeeping(turn, question):
    assert real_question(turn) == question


def test_a_reporters_long_preamble_is_trimmed_to_the_question_and_its_short_lead_in():
    preamble = (
        "Senate Republicans have been calling on the President to withdraw his nominee for weeks now, citing her record. "
        "That escalated last week when a former investigator came forward with new claims about the case from 1989. "
        "The White House has so far stood by her, and Democrats on the committee have too. "
    )
    question = real_question("Thank you. " + preamble + "Does the President still support her nomination? And will he say so today?")
    assert question.endswith("Does the President still support her nomination? And will he say so today?")
    assert len(question.split()) <= 50 and "Thank you" not in question and "for weeks now" not in question


def test_a_rare_label_shape_counts_inside_the_dialogue_not_on_the_title_page(tmp_path):
    title = "THE BOAT\n\nLondon: William Heinemann\n\nA COMEDY\n\nLondon: William Heinemann, 1912\n\n"
    turns = [f"Q. Question {k}?\n\nSMITH. Answer {k}, in so many words.\n\n" for k in range(50)]
    moderator = "Moderator: We have five minutes left.\n\n"
    path = tmp_path / "t.txt"
    path.write_text(title + "".join(turns[:25]) + moderator + "".join(turns[25:]) + moderator, encoding="utf-8")
    speakers = Counter(t.speaker for t in reader.parse(path).turns)
    assert speakers["Moderator"] == 2 and "London" not in speakers
    assert not [p for p in reader.passages(reader.parse(path), "SMITH", min_chars=1) if "minutes left" in p.text]


def test_a_transcript_all_in_capitals_keeps_its_paragraphs_and_a_mixed_one_loses_its_act_lines(tmp_path):
    caps = "Q. WHERE WERE YOU?\n\nA. AT HOME ALL NIGHT.\n\nTHEN I WENT OUT.\n\nQ. WHY?\n\nA. TO SEE THE BOATS.\n"
    path = tmp_path / "t.txt"
    path.write_text(caps, encoding="utf-8")
    assert [t.text for t in reader.parse(path).turns][1] == "AT HOME ALL NIGHT.\n\nTHEN I WENT OUT."
    path.write_text(caps.lower().replace("q.", "Q.").replace("a.", "A.").replace("then i went out.", "END OF THE FIRST ACT."), encoding="utf-8")
    assert [t.text for t in reader.parse(path).turns][1] == "at home all night."


PODCAST = """---
title: "Delivering dinner, episode 12"
guest: Jess Lachs
host: Tim Host
---

Tim Host (00:00:01):
Welcome to Dinner Talk. I'm your host, Tim, and my guest today is Jessica Lachs. Jessica, welcome to the show.

Jessica Lachs (00:00:05):
Thanks for having me, Tim. It is a pleasure to be here and talk about what we do.

Tim Host (00:00:09):
This episode is brought to you by Acme Mattress. Go to acme.com/dinner and use code DINNER for 20% off. Acme has a free trial of 100 nights, so sign up today. Okay. So, Jessica, how did you get into food delivery?

Jessica Lachs (00:00:31):
I started as an analyst, counting orders by hand in a spreadsheet that nobody else wanted to open.

(00:01:11):
Then the orders doubled every month, and the spreadsheet was not enough, so we built the first models.

Tim Host (00:01:40):
We'll be right back after this word from our sponsor.

Jessica Lachs (00:01:44):
And I will still be here, thinking about spreadsheets and the orders in them.
"""


def test_a_podcast_with_front_matter_name_time_lines_continuations_and_ad_reads(tmp_path):
    path = tmp_path / "episode.md"
    path.write_text(PODCAST, encoding="utf-8")
    with pytest.warns(Notice, match=r"is the speaker Jessica Lachs \(by surname, as the file's front matter names its guest\)"):
        found = pipeline.passages(path, pipeline.SegmentOptions(persona="Jess Lachs", min_chars=1))
    assert [p.question for p in found] == [None, "So, Jessica, how did you get into food delivery?", None]
    assert found[1].text == (
        "I started as an analyst, counting orders by hand in a spreadsheet that nobody else wanted to open. "
        "Then the orders doubled every month, and the spreadsheet was not enough, so we built the first models."
    ).replace(". Then", ".\n\nThen")
    assert not re.search(r"\d:\d\d|title:|Tim Host|Acme", "\n".join(p.text for p in found))


HANSARD = (
    "Engagements\n\n"
    "Mr Peter Bone (Wellingborough) (Con): If he will list his official engagements for Wednesday 3 March.\n\n"
    "The Prime Minister (Boris Johnson): This morning I had meetings with ministerial colleagues and others.\n\n"
    "Mr Bone: Will the Prime Minister confirm that the roadmap remains on course for the summer?\n\n"
    "The Prime Minister: I can confirm that we remain on track, and my hon. Friend is right to raise it.\n\n"
    "Keir Starmer (Holborn and St Pancras) (Lab): The Chancellor has just frozen the pay of nurses. Is that fair?\n\n"
    "The Prime Minister: We have given nurses a pay rise of twelve per cent over the last three years.\n\n"
    "Here is the thing: we will support them.\n"
)


def test_a_parliament_s_members_who_speak_once_are_speakers_and_their_qualifiers_are_not_speech(tmp_path):
    """Hansard: most members speak once, labelled `Full Name (Constituency) (Party):`; the Prime
    Minister's line in their own turn that starts 'Here is the thing:' is still theirs."""
    path = tmp_path / "hansard.txt"
    path.write_text(HANSARD, encoding="utf-8")
    turns = [(t.speaker, " ".join(t.text.split())) for t in reader.parse(path).turns]
    assert [s for s, _ in turns] == ["Mr Peter Bone", "The Prime Minister", "Mr Bone", "The Prime Minister", "Keir Starmer", "The Prime Minister"]
    assert turns[-1][1].endswith("three years. Here is the thing: we will support them.")
    assert not any("Wellingborough) (Con)" in text or "(Lab)" in text for _, text in turns)


def _interview_lines(turns: int = 12) -> list[str]:
    from pdfs import wrap

    crops = ["corn", "wheat", "beans", "oats", "rye", "barley", "hay", "cotton", "squash", "peas", "flax", "sorghum"]
    lines = []
    for i in range(turns):
        crop = crops[i % len(crops)]
        lines += wrap([f"INTERVIEWER: What did you plant in {1950 + i}, and why did it matter to you?"], 80)
        lines += wrap([f"HUGHES: In {1950 + i} my brother and I planted {crop} in the lower field, number {i}. It mattered because the "
                       f"farm was all we had, and my mother counted every row of {crop} that year, season {i}."], 80)
    return lines


def test_an_interview_typeset_as_a_pdf_is_read_as_turns_without_its_running_heads_or_page_numbers(tmp_path):
    from pdfs import book_pdf, paginate

    path = book_pdf(tmp_path / "oral.pdf", paginate(_interview_lines(), 30), header="Oral history interview with Fountain Hughes, page")
    options = pipeline.SegmentOptions(persona="Hughes")
    assert pipeline.is_transcript(path, options)
    found = pipeline.passages(path, options)
    assert len(found) == 12 and all(p.question and p.question.startswith("What did you plant") for p in found)
    assert all(p.text.startswith("In 19") and p.text.endswith("that year, season %d." % k) for k, p in enumerate(found))
    assert not any("Oral history" in p.text or "INTERVIEWER" in p.text for p in found)


def test_an_interview_in_a_docx_is_read_as_turns(tmp_path):
    import zipfile
    from xml.sax.saxutils import escape

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{escape(line)}</w:t></w:r></w:p>" for line in _interview_lines(6))
    path = tmp_path / "oral.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>')
    found = pipeline.passages(path, pipeline.SegmentOptions(persona="Hughes"))
    assert [(p.text[:7], p.text.endswith(f"season {i}.")) for i, p in enumerate(found)] == [(f"In {1950 + i}", True) for i in range(6)]
    assert all(p.question and p.question.startswith("What did you plant") for p in found)


# A deposition as a court reporter types it: every line numbered in the margin (1-25, again on each
# page), the page's number above, Q./A. deeper than the lines that go on, an objection between them.
DEPOSITION = """                                                    Page 12
 1            Q.   Mr. Holt, where were you working in 1998?
 2            A.   I was a machinist at the Dalton plant, on the
 3       second shift. I had been there about six years by then.
 4            Q.   And you told your supervisor about the guard --
 5            A.   Many times. I told Mr. Kessler that the guard on
 6       number four lathe was loose, and he never fixed it.
 7            MR. BRANDT:  Objection, form.
 8            Q.   (BY MS. ORTIZ)  You may answer. What did you do then?
 9            A.   I wrote it all down, every complaint and the
10       date, in a little notebook that I kept in my locker.
                                                    Page 13
 1            Q.   Do you still have that notebook?
 2            A.   I do. My wife kept it in a shoebox in the hall
 3       closet all these years.
"""


def test_a_deposition_s_line_numbers_are_the_margin_s_and_its_colloquy_and_examiner_are_nobody_s_answer(tmp_path):
    path = tmp_path / "holt.txt"
    path.write_text(DEPOSITION)
    turns = [(t.speaker, t.text) for t in reader.parse(path).turns]
    assert turns == [
        ("Q", "Mr. Holt, where were you working in 1998?"),
        ("A", "I was a machinist at the Dalton plant, on the second shift. I had been there about six years by then."),
        ("Q", "And you told your supervisor about the guard --"),
        ("A", "Many times. I told Mr. Kessler that the guard on number four lathe was loose, and he never fixed it."),
        ("MR. BRANDT", "Objection, form."),
        ("Q", "You may answer. What did you do then?"),
        ("A", "I wrote it all down, every complaint and the date, in a little notebook that I kept in my locker."),
        ("Q", "Do you still have that notebook?"),
        ("A", "I do. My wife kept it in a shoebox in the hall closet all these years."),
    ]
    found = pipeline.passages(path, pipeline.SegmentOptions(persona="A", min_chars=50))
    # a statement put to the witness asks nothing in words: its passage gets a question written for it
    assert [p.question for p in found] == ["Mr. Holt, where were you working in 1998?", None, "You may answer. What did you do then?", "Do you still have that notebook?"]


def test_a_deposition_typeset_as_a_pdf_with_its_numbers_in_the_margin_is_read_as_turns(tmp_path):
    from pdfs import placed_pdf

    pages, page = [], []
    lines = [(label, text) for i in range(10) for label, text in (
        ("Q", f"Where did you work in {1980 + i}, Mr. Holt?"),
        ("A", f"In {1980 + i} I ran lathe number {i} at the Dalton plant, on the second"),
        ("", "shift, and I knew every man on the floor by name that year."))]
    for k, (label, text) in enumerate(lines):
        n = k % 25 + 1
        page += [(15, 30 + n * 9, 11, str(n)), (40 if label else 30, 30 + n * 9, 11, f"{label}   {text}" if label else text)]
        if n == 25 or k == len(lines) - 1:
            pages.append([(120, 15, 9, f"Page {len(pages) + 12}"), *page])
            page = []
    options = pipeline.SegmentOptions(persona="A", min_chars=50)
    path = placed_pdf(tmp_path / "holt.pdf", pages)
    assert pipeline.is_transcript(path, options)
    found = pipeline.passages(path, options)
    assert [(p.question, p.text) for p in found] == [
        (f"Where did you work in {1980 + i}, Mr. Holt?", f"In {1980 + i} I ran lathe number {i} at the Dalton plant, on the second shift, and I knew every man on the floor by name that year.")
        for i in range(10)
    ]


def test_numbers_at_the_start_of_a_few_lines_or_out_of_order_are_the_speaker_s(tmp_path):
    few = "Ada Host: How many boats?\n\nBen Guest:\n12 of them, and\n3 were my uncle's.\n\nAda Host: And then?\n\nBen Guest: Then the sea.\n"
    listed = "".join(f"{n} boats went out in {n} weeks, Ben Guest said, and we counted them.\n" for n in (12, 3, 40, 7, 19, 2, 33, 5, 8, 21, 11))
    path = tmp_path / "a.txt"
    path.write_text(few)
    assert [t.text for t in reader.parse(path).turns][1] == "12 of them, and 3 were my uncle's."
    from synth.transcripts.normalise import normalise

    assert normalise(listed) == listed


@pytest.mark.parametrize("interviewer, answerer", [("I", "R"), ("IV", "IE"), ("Interviewer", "Respondent")])
@pytest.mark.parametrize("mark", [": ", " - ", " \u2013 "])
def test_research_codes_and_spaced_dashes_label_turns_and_a_bid_in_the_imperative_is_a_question(tmp_path, interviewer, answerer, mark):
    asked = ["So tell me how you started fishing.", "And you kept going?", "Walk me through the day the quotas came."]
    said = ["My father took me out when I was six, and I was sick the whole way.", "I did. Stubbornness, mostly.", "Half the boats in the harbour were sold."]
    path = tmp_path / "t.txt"
    path.write_text("Interview 7, 3 March 2019\r\n" + "".join(f"{interviewer}{mark}{q}\r\n{answerer}{mark}{a}\r\n" for q, a in zip(asked, said)))
    found = pipeline.passages(path, pipeline.SegmentOptions(persona=answerer, min_chars=20))
    assert [(p.question, p.text) for p in found] == list(zip(asked, said))


def test_a_diary_of_weekdays_and_dashes_stays_a_book(tmp_path):
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    path = tmp_path / "diary.txt"
    path.write_text("\n\n".join(f"{day} - we sailed at dawn and the wind held all day, week {w}." for w in range(3) for day in days))
    assert not pipeline.is_transcript(path, pipeline.SegmentOptions())
