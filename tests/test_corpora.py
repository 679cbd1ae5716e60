"""Checks on real books and a real transcript in ../shared/corpora (see its README.md).
Skipped when the folder is absent, as in a fresh clone. Each book is extracted once per
session (the session's extraction cache), so the checks after the first one are quick."""

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CORPORA
from synth import cache, clean, cli, extract, pipeline, transcripts
from synth.extract import BadInput

pytestmark = [
    pytest.mark.corpora,
    pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is not here"),
    pytest.mark.filterwarnings("ignore::synth.extract.InputWarning"),
]

SHERLOCK = CORPORA / "pdf" / "01_book_sherlock-holmes_tex-ligatures-hyphenation-headers.pdf"
SPEAKING = CORPORA / "pdf" / "03_book_art-of-public-speaking_gutenberg-calibre-clean.pdf"
VICKSBURG = CORPORA / "pdf" / "05_memoir_siege-of-vicksburg_scanned-with-ocr-layer.pdf"
SCAN = CORPORA / "pdf" / "06_scan_huck-finn-p22_image-only-no-text.pdf"
ENCRYPTED = CORPORA / "pdf" / "07_encrypted_libreoffice-writer-password.pdf"
CORRUPT = CORPORA / "pdf" / "08_corrupt_header-then-eof.pdf"
EMPTY = CORPORA / "pdf" / "09_corrupt_empty-0-bytes.pdf"
CHANGELOG = CORPORA / "transcripts" / "02_changelog_founders-talk-7_henk-rogers_podcast-interview.md"

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
    passages(SPEAKING)  # extracted (or already cached) in this session
    monkeypatch.setattr(extract, "read_pdf", lambda *a: pytest.fail("extracted the book again"))
    start = time.perf_counter()
    document = extract.extract(SPEAKING)
    assert len(document.pages) == 467 and time.perf_counter() - start < 5
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
    assert all(p.question in adam and "?" in p.question for p in asked)
    text = "\n".join(p.text + (p.question or "") for p in found)
    assert not re.search(r"\d\d:\d\d|\\\[|\*\*|unintelligible|\[laughs", text)


def test_changelog_records_mark_real_questions():
    from string import Template

    from synth.engine import Generation
    from synth.generate import Job, generate

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
