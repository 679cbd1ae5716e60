"""Checks on real books and a real transcript in ../shared/corpora (see its README.md).
Skipped when the folder is absent, as in a fresh clone. Each book is extracted once per
session (the session's extraction cache), so the checks after the first one are quick."""

import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CORPORA
from synth.sources import cache, extract
from synth.repair import clean
from synth import cli, pipeline
from synth.transcripts import reader as transcripts
from voicetune.errors import BadInput, Notice

pytestmark = [
    pytest.mark.corpora,
    pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is not here"),
    pytest.mark.filterwarnings("ignore::voicetune.errors.InputWarning"),
]

SHERLOCK = CORPORA / "pdf" / "01_book_sherlock-holmes_tex-ligatures-hyphenation-headers.pdf"
SPEAKING = CORPORA / "pdf" / "03_book_art-of-public-speaking_gutenberg-calibre-clean.pdf"
VICKSBURG = CORPORA / "pdf" / "05_memoir_siege-of-vicksburg_scanned-with-ocr-layer.pdf"
SCAN = CORPORA / "pdf" / "06_scan_huck-finn-p22_image-only-no-text.pdf"
ENCRYPTED = CORPORA / "pdf" / "07_encrypted_libreoffice-writer-password.pdf"
CORRUPT = CORPORA / "pdf" / "08_corrupt_header-then-eof.pdf"
EMPTY = CORPORA / "pdf" / "09_corrupt_empty-0-bytes.pdf"
CHANGELOG = CORPORA / "transcripts" / "02_changelog_founders-talk-7_henk-rogers_podcast-interview.md"
LEAVITT = CORPORA / "transcripts" / "10_whitehouse_briefing-2025-01-29_leavitt_bare-Q-nbsp.md"
PLAY = CORPORA / "transcripts" / "22_play_mind-the-paint-girl_pinero-1912_CAPS-name-line_latin1-crlf.txt"

_passages: dict = {}


def passages(path: Path, **options):
    key = (path, tuple(sorted(options.items())))
    if key not in _passages:
        _passages[key] = pipeline.passages(path, pipeline.SegmentOptions(**options))
    return _passages[key]


def text_of(path: Path, **options) -> str:
    return "\n\n".join(p.text for p in passages(path, **options))


# -- Sherlock Holmes: a TeX book -------------------------------------------------------------------


def test_sherlock_has_no_ligature_glyphs_left():
    text = text_of(SHERLOCK)
    assert "\ufb01" not in text and "\ufb02" not in text
    assert "finely adjusted temperament" in text and "baffled" in text
    assert "IRENE NORTON, n\u00e9 ADLER" in text  # the PDF sets an acute, then an e (it lost the second e)


def test_sherlock_passages_hold_no_running_header_or_bare_page_number():
    lines = [line for _, line in clean.document_lines(extract.extract(SHERLOCK))]
    assert not [line for line in lines if re.fullmatch(r"\d{1,3}", line)]  # every page's number is gone
    assert not [line for line in lines if line.startswith("ADVENTURE ")]  # and every running header
    for p in passages(SHERLOCK):
        assert not re.search(r"ADVENTURE [IVX]+\. [A-Z’ -]{6,}", p.text), p.text[:200]
        assert not re.search(r"(?m)^\s*\d{1,3}\s*$", p.text), p.text[:200]


def test_sherlock_drop_caps_and_hyphenation_read_as_words():
    text = text_of(SHERLOCK)
    assert "Of all the problems which have been submitted" in text and "F all the problems" not in text
    assert "To Sherlock Holmes she is always the woman" in text
    assert "“My dear fellow,” said Sherlock Holmes" in text
    assert "eclipses and predominates the whole of her sex" in text  # pre-/dominates joined
    assert "to-night" in text and "well-remembered door" in text  # real hyphens kept


def test_sherlock_chapters_and_provenance():
    found = passages(SHERLOCK)
    chapters = {p.chapter for p in found}
    assert "Adventure I: A Scandal In Bohemia" in chapters and "Adventure XII: The Adventure Of The Copper Beeches" in chapters
    assert all(1 <= p.first_page <= p.last_page <= 201 and p.end - p.start == len(p.text) for p in found)
    assert len({p.id for p in found}) == len(found)


# -- The Art of Public Speaking: Gutenberg boilerplate, 467 pages ---------------------------------


def test_gutenberg_boilerplate_is_absent():
    text = text_of(SPEAKING)
    for boilerplate in ("Project Gutenberg", "PROJECT GUTENBERG", "Gutenberg-tm", "Produced by", "gutenberg.org", "pgdp.net"):
        assert boilerplate not in text
    assert "There is a strange sensation often experienced in the presence of an audience" in text


def test_page_range_skips_front_matter_and_index():
    found = passages(SPEAKING, pages=(10, 451))
    assert all(10 <= p.first_page and p.last_page <= 451 for p in found)
    text = "\n".join(p.text for p in found)
    assert "Table of Contents" not in text and "ADDISON, JOSEPH" not in text


def test_second_run_of_a_book_uses_the_cached_extraction(monkeypatch):
    first = extract.extract(SPEAKING)  # extracted (or already cached) in this session
    monkeypatch.setattr(extract, "read_pdf", lambda *a: pytest.fail("extracted the book again"))
    assert extract.extract(SPEAKING).pages == first.pages and len(first.pages) == 467
    assert (cache.root() / f"{cache.file_hash(SPEAKING)}.json").exists()


# -- the scanned diary with an OCR layer ------------------------------------------------------------


def test_ocr_diary_loses_its_running_header():
    text = text_of(VICKSBURG)
    assert "SIEGE OF VICKSBURG" not in text and "VICKSBUEG" not in text
    assert "JUNE 10TH.—The heat of the sun increases" in text


# -- bad inputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, message",
    [
        (SCAN, "no extractable text on its only page: it looks scanned; run OCR first, e.g. ocrmypdf"),
        (ENCRYPTED, "is encrypted: pass its password with --password"),
        (CORRUPT, "could not be read as a PDF (startxref not found): it may be damaged"),
        (EMPTY, "is empty (0 bytes)"),
    ],
)
def test_bad_inputs_give_one_clear_line(path, message):
    with pytest.raises(BadInput) as error:
        pipeline.passages(path, pipeline.SegmentOptions())
    assert message in str(error.value)
    result = CliRunner().invoke(cli.cli, ["segment", str(path)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {error.value}"]


def test_encrypted_pdf_opens_with_its_password():
    (passage,) = passages(ENCRYPTED, password="openpassword")
    assert passage.text.startswith("Lorem ipsum dolor sit amet")


# -- the Changelog interview ----------------------------------------------------------------------


def test_changelog_answers_are_henk_rogers_and_questions_adam_stacoviak():
    transcript = transcripts.parse(CHANGELOG)
    henk = [t.text for t in transcript.turns if t.speaker == "Henk Rogers"]
    adam = [" ".join(t.text.split()) for t in transcript.turns if t.speaker == "Adam Stacoviak"]
    found = passages(CHANGELOG, persona="Henk Rogers")
    assert len(found) >= 30
    assert all(any(p.text in turn for turn in henk) for p in found)
    asked = [p for p in found if p.question]
    assert len(asked) >= 30
    assert all(any(p.question in turn for turn in adam) and p.question.endswith("?") for p in asked)  # the part of Adam's turn that asks
    text = "\n".join(p.text + (p.question or "") for p in found)
    assert not re.search(r"\d\d:\d\d|\\\[|\*\*|unintelligible|\[laughs", text)


def test_changelog_records_mark_real_questions():
    from string import Template

    from voicetune.engine import Generation
    from synth.generation.generate import generate
    from synth.generation.job import Job

    found = passages(CHANGELOG, persona="Henk Rogers")
    sent = []

    class Engine:
        model = "fake"

        def stream(self, conversations, sampling):
            sent.extend(conversations)
            # A different question each (generate retries a repeated one).
            return ((i, Generation(f"What happened next in part {len(sent) + i}?", 4, True)) for i in range(len(conversations)))

    records, _ = generate(found, Engine, Job(Template("$context $passage")))
    real = [r for r in records if r.question_source == "transcript"]
    assert len(sent) == len(records) - len(real) and real
    assert all(r.source["turns"] and r.source["file"] == CHANGELOG.name for r in records)


# -- the Leavitt briefing: reporters are "Q" and three no-break spaces -----------------------------


@pytest.mark.filterwarnings("ignore::voicetune.errors.Notice")
def test_leavitt_briefing_reporters_ask_and_none_of_their_words_is_an_answer():
    transcript = transcripts.parse(LEAVITT)
    assert {t.speaker for t in transcript.turns} == {"MS. LEAVITT", "Q"}
    found = passages(LEAVITT, persona="Karoline Leavitt")
    asked = [p for p in found if p.question]
    assert len(found) >= 50 and len(asked) >= 45  # before: 28 passages of one merged turn, no real question
    reporters = [" ".join(m.group(1).split()) for m in re.finditer(r"(?m)^Q\u00a0+ (.{30,})$", LEAVITT.read_text(encoding="utf-8"))]
    assert len(reporters) >= 50
    text = " ".join(" ".join(p.text.split()) for p in found)
    assert [line for line in reporters if line[:40] in text] == []
    assert any(p.question.startswith("Karoline, does the president see anything fishy about DeepSeek") for p in asked)  # not "Thank you very much."
    repaired = transcripts.repaired_text(transcript)
    assert all(repaired[p.start : p.end] == p.text for p in found)


# -- the play: ISO-8859-1, CRLF, a speaker's name alone on a line -----------------------------------


def test_the_latin_1_play_is_read_and_said_so():
    with pytest.warns(Notice, match=f"{PLAY.name}: not UTF-8; read as cp1252"):
        transcript = transcripts.parse(PLAY)
    speakers = Counter(t.speaker for t in transcript.turns)
    assert speakers["LILY"] >= 300 and speakers["FARNCOMBE"] >= 100
    assert any("humble, and naïve, and confiding" in t.text for t in transcript.turns) and not any("\r" in t.text for t in transcript.turns)


# -- front and back matter, split words -----------------------------------------------------------


def test_gutenberg_book_loses_its_title_page_and_contents_not_its_body():
    cleaned = clean.clean(extract.extract(SPEAKING))
    removed = "\n".join(cleaned.boilerplate)
    assert "AUTHOR OF" in removed and "APPENDIX B—THIRTY THEMES FOR SPEECHES" in removed
    assert [r for r in cleaned.removed if r.kind == "notes" and "Used by permission" in r.text]  # the back matter's permissions are notes
    text = clean.repaired_text(list(cleaned.paragraphs))
    assert text.startswith("The efficiency of a book is like that of a man, in one important respect")
    assert "There is a strange sensation often experienced in the presence of an audience" in text
    assert sum(len(p) for p in cleaned.boilerplate) < 0.002 * len(text)  # a title page and contents, not chapters
    assert "Accentuation, 150" not in text_of(SPEAKING) and "ALL RIGHTS RESERVED" not in text_of(SPEAKING)


def test_sherlock_loses_the_publishers_line():
    cleaned = clean.clean(extract.extract(SHERLOCK))
    assert [b for b in cleaned.boilerplate if "Published by PDFREEBOOKS.ORG" in b]
    assert cleaned.paragraphs[0].text.startswith("To Sherlock Holmes she is always the woman")


@pytest.mark.parametrize("path", [SHERLOCK, VICKSBURG])
def test_the_split_word_repair_joins_nothing_in_books_without_split_words(path):
    from synth.repair import splitwords

    assert not splitwords.suspects("\n".join(line for _, line in clean.document_lines(extract.extract(path))))


def test_words_cut_at_line_ends_without_a_hyphen_are_whole():
    """The calibre-made PDF lost the hyphens of 23 words cut at line ends ("em" / "phasize")."""
    from synth.repair import splitwords

    text = text_of(SPEAKING)
    assert "you will want to emphasize destiny" in text and "it was a mixture of about" in text
    assert set(splitwords.suspects(text, strict=False)) <= {("De", "Witt"), ("Van", "Dyke"), ("van", "Dyke"), ("VAN", "DYKE")}  # names


def test_changelog_persona_by_first_name_and_speakers_shown():
    result = CliRunner().invoke(cli.cli, ["segment", str(CHANGELOG), "--persona", "henk", "--stats"])
    assert result.exit_code == 0
    assert f"Note: {CHANGELOG.name}: --persona 'henk' is the speaker Henk Rogers (by part of the name)" in result.stderr
    assert "  Adam Stacoviak (48 turns): \"I'm here with Henk Rogers" in result.stdout and "  Henk Rogers (47 turns, answers): \"Okay. I'm originally from Holland" in result.stdout


# -- The siege of Vicksburg: an OCR'd scan with pictures, captions and a sidebar ------------------


def test_vicksburg_captions_sidebar_and_note_are_gone():
    text = text_of(VICKSBURG)
    intruders = ["Solid Shot", "Sabot", "Grape Shot", "Yankee Lookout", "CHENKLE", "TBOJECTILE", "Sibiey", "No. 1.", "\u2022>", "mw-", "Cannister", "This projectile"]
    assert [i for i in intruders if i in text] == []
    kinds = {r.kind for r in clean.clean(extract.extract(VICKSBURG)).removed}
    assert kinds == {"caption or sidebar", "note below the text"}


def test_vicksburg_keeps_the_diarists_sentences_whole():
    text = text_of(VICKSBURG)
    for sentence in [
        "I have a great curiosity to see the court house at Vicksburg. It stands on a hill, and seems to be the target for many cannon.",
        "The balls of lead as they fall are found bent and flattened in every conceivable shape. A friend from the 96th Ohio",
        "I am ready to share my rations with an honest prisoner, but have no use for a man who enlists in a cause",
        "JUNE 17TH.\u2014I was detailed to the charge of a squad of men",
        "JUNE 10TH.\u2014The heat of the sun increases",
        "Let not a murmur meet the ear.",  # verse set small between the paragraphs
        'lament that he was " Only a private, and who will care When I shall pass away?"',
    ]:
        assert sentence in text


# -- notes --------------------------------------------------------------------------------------------


def test_public_speaking_loses_its_footnotes_and_their_markers_not_the_sentences_around_them():
    text = text_of(SPEAKING)
    assert "FOOTNOTES" not in text and not re.search(r"\[\d+[A-Z]?\]", text)
    assert "June 4, 1914. Used by permission" not in text and "Those who sat in the pit or the parquet" not in text
    assert "split the ears of the groundlings; who, for the most part, are capable of nothing" in text
    assert "the vocabulary you have enlarged by study, the ease in speaking you have developed" in text
    removed = clean.clean(extract.extract(SPEAKING)).removed
    assert sum(r.kind == "note markers" for r in removed) >= 35 and sum(r.kind == "notes" for r in removed) >= 15


@pytest.mark.parametrize("path", [SHERLOCK])
def test_a_tex_book_loses_nothing_to_the_caption_and_note_rules(path):
    assert clean.clean(extract.extract(path)).removed == ()


def test_changelog_persona_by_initials():
    result = CliRunner().invoke(cli.cli, ["segment", str(CHANGELOG), "--persona", "H.R.", "--stats"])
    assert result.exit_code == 0, result.output
    assert f"Note: {CHANGELOG.name}: --persona 'H.R.' is the speaker Henk Rogers (by initials)" in result.stderr


def test_a_folder_of_two_briefings_skips_the_one_where_the_persona_never_speaks(tmp_path):
    psaki = CORPORA / "transcripts" / "11_whitehouse_briefing-2021-07-19_psaki_bare-Q-ascii-space.md"
    with pytest.warns(Notice, match=rf"^skipped 1 file where Psaki never speaks: {re.escape(LEAVITT.name)}$"):
        found = pipeline.passages([LEAVITT, psaki], pipeline.SegmentOptions(persona="Psaki"))
    assert found and {p.source for p in found} == {psaki.name}


# -- columns and headings set large ---------------------------------------------------------------

MULTICOLUMN = CORPORA / "pdf" / "30_multicol_st-mary-witney-social-audit_landscape-sidebars.pdf"


def test_public_speaking_chapters_that_open_mid_page_open_their_own_passage():
    """CHAPTER XVII follows a full line ending "chapters." on page 148: only its larger type says it is a heading."""
    found = passages(SPEAKING)
    assert not [p.text for p in found if re.search(r"\bCHAPTER [IVXL]+\b", p.text)]
    assert any(p.chapter == "CHAPTER XVII: THOUGHT AND RESERVE POWER" and p.text.startswith("Providence is always on the side") for p in found)


def test_multicolumn_report_reads_each_column_whole():
    """The report's columns share their baselines across a gutter of 0.7 em."""
    text = text_of(MULTICOLUMN)
    for sentence in [
        "The first stage of the appeal has been very successful, with the roof of the church now in good repair.",
        "There are three levels of local government: Oxford County Council, West Oxfordshire District Council (local authority) and Witney Town Council.",
        "Additions, restoration and reordering have taken place over the centuries",
        "Smiths Industries bought a factory in Witney in 1949 and, in keeping with the post-war climate of social responsibility, built 192 houses for its employees.",
    ]:
        assert sentence in text
    assert "has Oxfordshire District Council" not in text and "The first stage of the appeal has" in text
