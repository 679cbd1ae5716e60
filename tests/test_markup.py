"""HTML transcripts: a page laid out as a person sees it, then the same label reader as plain
text. Small pages in several sites' spellings, then the real pages in ../shared/corpora."""

import re
import warnings

import pytest

from conftest import CORPORA
from synth import pipeline
from synth.transcripts import markup, reader as transcripts
from voicetune.errors import InputWarning

ANSWER = "I grew up by the sea, and the boats were the first machines I ever loved, every one of them. " * 4


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def turns(tmp_path, page, name="t.html"):
    return [(t.speaker, t.text) for t in transcripts.parse(write(tmp_path, name, page)).turns]


CHROME = """<!DOCTYPE html><html><head><title>Ada Host: Episode 7</title><script>var Ada = "Ada Host: x";</script></head>
<body class="post has-sidebar"><nav><a href="/">Ada Host: home</a></nav><header class="site-header">Ada Host: the show</header>
<div role="navigation">Ben Guest: menu</div><p>Episode 7 of the show, in which Ben tells of the sea.</p>
{body}
<p><a href="https://x/apple">Subscribe on Apple Podcasts</a> <a href="https://x/next">Next episode</a></p>
<div class="cookie-banner">We use cookies to make this site work.</div>
<footer>Ada Host: (c) 2026</footer><aside class="sidebar">Ben Guest: subscribe</aside></body></html>"""


@pytest.mark.parametrize(
    "host, guest",
    [
        ("<p><strong>Ada Host:</strong> {}</p>", "<p><strong>Ben Guest:</strong> {}</p>"),
        ("<p><b>Ada Host</b>: {}</p>", "<p><b>Ben Guest</b>: {}</p>"),
        ("<dt>Ada Host</dt><dd>{}</dd>", "<dt>Ben Guest</dt><dd>{}</dd>"),
        ('<div><span class="speaker">Ada Host</span> {}</div>', '<div><span class="speaker-name">Ben Guest</span> {}</div>'),
        ("<tr><td>Ada Host</td><td>{}</td></tr>", "<tr><th>Ben Guest</th><td>{}</td></tr>"),
        ("<tr><td class=time>0:01</td><td>Ada Host</td><td>{}</td></tr>", "<tr><td class=time>0:09</td><td>Ben Guest</td><td>{}</td></tr>"),
        ('<div><span class="speaker-name">Ada Host</span> <span class="timestamp">0:05</span><p>{}</p></div>', '<div><span class="speaker-name">Ben Guest</span> <span class="timestamp">0:09</span><p>{}</p></div>'),
        ("<cite>Ada Host:</cite>\n<time>0:00</time>\n<p>{}</p>", "<cite>Ben Guest:</cite>\n<time>1:02</time>\n<p>{}</p>"),
        ("<P CLASS=x><EM>Ada Host</EM>:<BR>{}</P>", "<P><EM>Ben Guest</EM>:<BR>{}</P>"),
        ("<p><b>Ada Host</b></p><p>{}</p>", "<h4><b>Ben Guest</b></h4><p>{}</p>"),
    ],
)
def test_each_sites_spelling_of_a_turn_reads_as_the_same_turns(tmp_path, host, guest):
    last = 'The boats<a href="#n1"><sup>1</sup></a> &amp; the sea.'
    body = "".join([host.format("Where did it start?"), guest.format(ANSWER), host.format("And then?"), guest.format(last)])
    if "<dt>" in host:
        body = f"<dl>{body}</dl>"
    if "<tr>" in host:
        body = f"<table>{body}</table>"
    found = turns(tmp_path, CHROME.format(body=body))
    assert [speaker for speaker, _ in found] == ["Ada Host", "Ben Guest", "Ada Host", "Ben Guest"]
    assert found[1][1] == ANSWER.strip() and found[3][1] == "The boats & the sea."


def test_a_turn_whose_paragraph_was_never_closed_still_starts_its_own_line(tmp_path):
    page = f"""<h1>Interview with Ben Guest</h1>
    <p><strong>Ben Guest</strong>: {ANSWER}
    <strong>Ada Host</strong>: Do you remember the war?
    <strong>Ben Guest</strong>: I remember <em>[voice trails off]</em>. Only the <i>boats</i>.</p>
    <p><strong>Ada Host</strong>: Thank you.</p>"""
    found = turns(tmp_path, page)
    assert [speaker for speaker, _ in found] == ["Ben Guest", "Ada Host", "Ben Guest", "Ada Host"]
    assert found[2][1] == "I remember. Only the boats."  # the transcriber's note in italic brackets is gone, her italics stay


def test_a_title_block_and_headings_are_no_ones_turn(tmp_path):
    page = f"""<h1>Ada Host talks to Ben Guest</h1><h2>Ada Host &amp; Ben Guest</h2>
    <p>Ada Host: Where did it start?</p><p>Ben Guest: {ANSWER}</p>
    <p><strong><em>END OF TAPE ONE</em></strong></p><p>The boats were sold that winter, as the town records show.</p>
    <p>Ada Host: And then?</p><p>Ben Guest: Then nothing.</p>"""
    found = dict(turns(tmp_path, page)[:2])
    assert "TAPE" not in found["Ben Guest"] and "town records" not in found["Ben Guest"]


def test_q_dash_dash_answers_end_where_their_quotation_closes(tmp_path):
    page = f"""<h2>CHAPTER I.</h2><p>She was born in Columbia, and is about thirty.</p>
    <p><em>Q.</em>--"Where were you born?"</p>
    <p><em>A.</em>--"In Columbia. {ANSWER}</p>
    <p>"And my mother was there too."</p>
    <p>The writer here notes that her mother was sold soon after.</p>
    <p><em>Q.</em>--"Was he kind?"</p><p><em>A.--"No, sir;</em> he was not."</p>
    <p>A correspondent of the Herald writes that such cases are common.</p>
    <p>A. C. HORTON.</p>"""
    found = turns(tmp_path, page)
    assert [speaker for speaker, _ in found] == ["Q", "A", "Q", "A"]
    assert found[1][1].endswith('"And my mother was there too."')  # her quotation ran on into a new paragraph
    assert found[3][1] == '"No, sir; he was not."'  # the writer's note, a paragraph opening "A ..." and a signature are no one's


PRE = """<html><head><title>Record</title></head><body><pre>
[Congressional Record Volume 1, Number 2 (Monday, May 1, 2006)]
[Senate]
From the Record Online [<a href="http://x">x</a>]

                    ORDER OF BUSINESS

  The PRESIDING OFFICER. The Senator from Ohio.
  Mr. SMITH of Ohio. Madam President, I rise to speak about the bill 
before us, which I have read with care and which I cannot support in 
its present form, for reasons I will now set out.
  The clerk will read the letter I received:

       Dear Senator, we the undersigned ask you to vote 
     against this bill for the sake of our town.

  That letter says it all, and I say it again: the bill is not 

[[Page S101]]

ready, and I yield the floor.
  The PRESIDING OFFICER. The Senator from Maine.
  Ms. DeLONG. Madam President, I thank my friend. Is he aware that the 
bill was amended yesterday?
  (At the request of Mr. Reid, the following was printed in the Record.)
  Mr. SMITH of Ohio. I am aware of it, and I am not moved by it.
  The amendment (No. 12) was agreed to.
  The motion to reconsider was laid on the table.
  Mr. O'BRIEN. Madam President, I suggest the absence of a quorum.
  The PRESIDING OFFICER. The clerk will call the roll.
</pre></body></html>"""


def test_a_pre_page_reads_its_indented_labels_and_leaves_quotations_markers_and_titles_out(tmp_path):
    found = turns(tmp_path, PRE, "record.htm")
    assert [speaker for speaker, _ in found] == [
        "The PRESIDING OFFICER", "Mr. SMITH of Ohio", "The PRESIDING OFFICER", "Ms. DeLONG", "Mr. SMITH of Ohio", "Mr. O'BRIEN", "The PRESIDING OFFICER",
    ]  # fmt: skip
    smith = found[1][1]
    assert smith.startswith("Madam President, I rise") and "the bill is not ready, and I yield the floor." in smith
    assert "undersigned" not in smith and "Page" not in smith and "ORDER OF BUSINESS" not in " ".join(t for _, t in found)
    assert "At the request" not in found[3][1]  # the editor's note in brackets is nobody's words
    assert found[4][1] == "I am aware of it, and I am not moved by it."  # the record's narration after it is nobody's


def test_hanging_indents_in_a_pre_are_continuation_lines_not_quotations(tmp_path):
    page = "<pre>\nADA:   Where did it start, and\n       who was there?\n\nBEN:   By the sea.\n\n       And the boats.\nADA:   Then?\nBEN:   Nothing.\n</pre>"
    found = turns(tmp_path, page)
    assert found[0] == ("ADA", "Where did it start, and who was there?") and found[1] == ("BEN", "By the sea.\n\nAnd the boats.")


def test_page_markers_are_removed_and_the_sentence_they_cut_joins_up():
    assert markup.without_page_markers("the bill is not\n\n[[Page S101]]\n\nready [p. 7] now.") == "the bill is not\nready  now."


def test_an_html_memoir_with_signature_lines_stays_a_book_with_persona(tmp_path):
    letters = "".join(f"<h3>{n}. TO HIS BROTHER.</h3><p>{ANSWER}</p><p>Your loving</p><p>BEETHOVEN.</p><p>FATHER.</p>" for n in range(1, 6))
    path = write(tmp_path, "letters.htm", f"<html><body><h1>Letters</h1>{letters}</body></html>")
    options = pipeline.SegmentOptions(persona="BEETHOVEN")
    assert not pipeline.is_transcript(path, options)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)  # nobody answers a signature: no dialogue to warn of
        assert pipeline.read_source(path, path.name, options).passages


def test_an_html_book_with_a_little_dialogue_is_read_as_a_book_with_a_warning_saying_what_was_seen(tmp_path):
    narration = "".join(f"<p>{ANSWER}</p>" for _ in range(4))
    qa = "".join(f'<p><em>Q.</em>--"Question {n}?"</p><p><em>A.</em>--"Answer {n}."</p><p>{ANSWER}</p>' for n in range(2))
    path = write(tmp_path, "t.html", f"{narration}{qa}")
    with pytest.warns(InputWarning, match=r"t.html: read as a book, with --persona 'A.' as its author, though its lines look like dialogue: labels Q \(2\), A \(2\)"):
        source = pipeline.read_source(path, path.name, pipeline.SegmentOptions(persona="A."))
    assert source.passages


def test_an_html_dialogue_with_persona_is_a_transcript_though_most_of_it_is_narration(tmp_path):
    narration = "".join(f"<p>{ANSWER}</p>" for _ in range(12))
    qa = "".join(f'<p><em>Q.</em>--"Question {n}?"</p><p><em>A.</em>--"Answer {n}."</p>' for n in range(3))
    path = write(tmp_path, "t.html", f"{narration}{qa}{narration}")
    assert pipeline.is_transcript(path, pipeline.SegmentOptions(persona="A."))
    assert not pipeline.is_transcript(path, pipeline.SegmentOptions())


# -- the real pages ---------------------------------------------------------------------------------

real = pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is not here")
TRANSCRIPTS = CORPORA / "transcripts"


def persona_passages(prefix: str, persona: str):
    path = next(TRANSCRIPTS.glob(f"{prefix}*"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short turns skipped, the encoding: said elsewhere
        found = pipeline.passages(path, pipeline.SegmentOptions(persona=persona))
    return path, found


@real
def test_fountain_hughes_answers_hold_none_of_the_interviewers_words_and_keep_his_questions():
    path, found = persona_passages("15_", "Fountain Hughes")
    text = "\n".join(p.text for p in found)
    assert "Hermond Norwood" not in text and "Well, just tell me what your name is" not in text and "Interview with" not in text
    assert "END OF TAPE" not in text and "[pause]" not in text
    questions = [p.question for p in found if p.question]
    assert "You talk about how old you are Uncle Fountain. Do you, tell how far back do you remember?" in questions  # a turn without its <p>


@real
def test_louisa_picquets_answers_hold_no_question_and_no_narration():
    path, found = persona_passages("16_", "A.")
    text = "\n".join(p.text for p in found)
    assert sum(1 for p in found if p.question) >= 80
    assert "He was a planter, was he?" not in text and "the subject of the following narrative" not in text
    assert "A correspondent of the Cincinnaii Herald" not in text and "HORTON" not in text and "CHAPTER" not in text
    assert not re.search(r"\b[QA]\.--", text)


@real
def test_the_buzzsprout_page_gives_travis_words_only_without_his_time_lines():
    path, found = persona_passages("17_", "Travis")
    text = "\n".join(p.text for p in found)
    assert len(found) == 7 and "Creating good audio is really key" not in text  # Sarah's
    assert not re.search(r"\b\d{1,2}:\d\d\b|Travis:|Gilon:", text)


@real
def test_the_congressional_record_page_gives_mcconnells_words_only():
    path, found = persona_passages("12_", "Mr. McCONNELL")
    text = "\n".join(p.text for p in found)
    assert "let me point out to all Members of the Senate" in text
    assert "[[Page" not in text and "MULTILATERAL DEVELOPMENT BANK REFORM" not in text  # a page marker; the bill the clerk reads
    assert "my amendment is very straightforward" not in text  # Mr. CHAMBLISS, who speaks once
    assert "I had to miss a rollcall vote" not in text  # Mr. ROCKEFELLER's statement, after a <bullet>
    assert not re.search(r"\b(?:Mr|Ms)\. [A-Z]{3,}\.|The PRESIDING OFFICER\.", text)


@real
@pytest.mark.parametrize("name, persona", [("27_html_frederick-douglass", "Frederick Douglass"), ("28_html_beethoven", "BEETHOVEN")])
def test_the_html_books_stay_books_with_persona(name, persona):
    path = next((CORPORA / "books").glob(f"{name}*"))
    assert not pipeline.is_transcript(path, pipeline.SegmentOptions(persona=persona))


def test_a_paragraph_wholly_in_brackets_is_the_editors_and_the_turn_goes_on_past_it(tmp_path):
    text = "[-00:00:00:03]\nCC: Do you read?\n\n[00:00:00:07]\nP: Roger. Loud and clear.\n\n[00:00:00:08]\n\nAnd the clock is running.\n\nCC: Roger?\n\n(Recess.)\n\nP: Fine."
    found = turns(tmp_path, text, "air-to-ground.txt")
    assert found == [("CC", "Do you read?"), ("P", "Roger. Loud and clear.\n\nAnd the clock is running."), ("CC", "Roger?"), ("P", "Fine.")]


def test_a_pre_of_tab_separated_labels_keeps_them(tmp_path):
    page = "<pre>\r\nHost\tWhere were you?\r\nGuest\tIn Paris.\r\n\tStill there.\r\nHost\tAnd then?\r\nGuest\tHome.\r\n</pre>"
    assert turns(tmp_path, page) == [("Host", "Where were you?"), ("Guest", "In Paris. Still there."), ("Host", "And then?"), ("Guest", "Home.")]


MAGAZINE = """<html><body><h1>Ruth Ozeki: "Writing is paying attention"</h1>
<p>By Sam Reed. Ozeki spoke to us from her home in Massachusetts.</p>
<p><strong>When did you first know you wanted to write?</strong></p>
<p>I think I always knew, but I did not admit it for a long time. I made films first.</p>
<p>It was only when I was editing footage late at night that I saw I was telling stories with words.</p>
<p><b>Zen practice is a big part of your life. How did it change your work?</b></p>
<p>It slowed me down. A novel needs silences as much as it needs events.</p>
<p><strong>What are you working on now?</strong></p>
<p>A book about a library, and about grief.</p>
<p><strong>Thank you, Ruth.</strong></p><p>Ozeki's new novel is out in March.</p>
</body></html>"""


def test_a_magazine_q_and_a_with_questions_in_bold_gives_the_answers_to_whoever_is_named(tmp_path):
    path = write(tmp_path, "ozeki.html", MAGAZINE)
    options = pipeline.SegmentOptions(persona="Ruth Ozeki", min_chars=20)
    assert pipeline.is_transcript(path, options)
    with pytest.warns(Warning, match="is the speaker A"):
        found = pipeline.passages(path, options)
    assert [(p.question, p.text) for p in found] == [
        ("When did you first know you wanted to write?", "I think I always knew, but I did not admit it for a long time. I made films first.\n\n"
         "It was only when I was editing footage late at night that I saw I was telling stories with words."),
        ("Zen practice is a big part of your life. How did it change your work?", "It slowed me down. A novel needs silences as much as it needs events."),
        ("What are you working on now?", "A book about a library, and about grief."),
    ]  # the interviewer's thanks and the closing credit are not hers


def test_bold_sentences_that_do_not_ask_stay_the_speakers_emphasis(tmp_path):
    page = "<html><body>" + "".join(f"<p><b>Rule {n}: keep the boat dry.</b></p><p>{ANSWER}</p>" for n in range(4)) + "</body></html>"
    text = markup.transcript_text(page)
    assert "Q:" not in text and "A:" not in text
