"""Captions, sidebars and notes on a PDF page told apart from the body by size and place
(layout.py), on PDFs built here piece by piece; each convention once, then the body it must keep."""

import pytest

import pdfs
from synth.repair import clean
from synth.sources import extract, layout
from synth import pipeline

BODY, SMALL, LEAD = 11, 8, 5  # pt, pt, mm between lines

COLUMN = [  # a column beside a picture (x 95 mm), then the full measure (x 20 mm)
    "The balls of lead as they fall",
    "are found bent and flat-",
    "tened in every conceiva-",
    "ble shape. A friend from",
]
FULL = [
    "the Ohio regiment came over to see me, and a rebel bullet took a piece out of his arm.",
    "We laughed about it afterwards, for the wound was small and the surgeon was kind.",
    "The days are long here and the nights are loud with the guns on the hills about us.",
]


def passages_of(path):
    return " ".join(p.text for p in pipeline.passages(path, pipeline.SegmentOptions(min_chars=20)))


def body_page(y0: float = 30) -> list:
    """A column beside a picture and then full-width lines, at the body size."""
    pieces = [(95, y0 + i * LEAD, BODY, line) for i, line in enumerate(COLUMN)]
    return pieces + [(20, y0 + (len(COLUMN) + i) * LEAD, BODY, line) for i, line in enumerate(FULL)]


def test_a_caption_inside_a_hyphenated_word_break_goes_and_the_word_is_joined(tmp_path):
    page = body_page()
    page.insert(3, (30, page[3][1], BODY, "Sibley Tent."))  # under the picture, on the line that ends "conceiva-" + "ble"
    text = passages_of(pdfs.placed_pdf(tmp_path / "tent.pdf", [page]))
    assert "Sibley" not in text
    assert "found bent and flattened in every conceivable shape. A friend from the Ohio regiment" in text


def test_small_type_beside_the_column_goes(tmp_path):
    sidebar = ["Cannister shot is a tin cylinder", "with iron heads, filled with balls", "packed with saw-dust."]
    page = body_page() + [(22, 31 + i * 3.5, SMALL, line) for i, line in enumerate(sidebar)] + [(35, 48, SMALL, "Grape Shot.")]
    text = passages_of(pdfs.placed_pdf(tmp_path / "sidebar.pdf", [page]))
    assert "Cannister" not in text and "saw-dust" not in text and "Grape" not in text
    assert "The balls of lead as they fall are found bent" in text and "the surgeon was kind" in text


def test_a_small_caption_between_paragraphs_goes_and_small_verse_stays(tmp_path):
    verse = ["Let not a murmur meet the ear,", "Nor discontent have sway."]
    page = [
        (20, 30, BODY, "We are doing all we can to expedite the victory awaiting us here."),
        (60, 36, SMALL, "The lookout in the tree at dawn."),
        (20, 42, BODY, "The men in the trenches are cheerful and well fed, and they sing at night:"),
        *[(50, 47 + i * 4, SMALL, line) for i, line in enumerate(verse)],
        (20, 58, BODY, "Then the long roll sounds and every man is up at the first tap of the drum."),
    ]
    text = passages_of(pdfs.placed_pdf(tmp_path / "verse.pdf", [page]))
    assert "lookout in the tree" not in text
    assert "Let not a murmur meet the ear, Nor discontent have sway." in text
    assert "expedite the victory awaiting us here." in text and "they sing at night:" in text


def test_small_capitals_and_a_small_date_inside_a_line_stay(tmp_path):
    page = [
        (20, 30, SMALL, "JUNE 10TH."),
        (None, 30, BODY, "--The heat of the sun increases, and we must improve our quarters today."),
        (20, 35, BODY, "We went to see Mr. "),
        (None, 35, SMALL, "BALDWIN"),
        (None, 35, BODY, " at ten, as the Captain had asked us to do the evening before."),
        (20, 40, BODY, "He was not at home, so we walked back to camp along the river in the heat."),
    ]
    text = passages_of(pdfs.placed_pdf(tmp_path / "caps.pdf", [page]))
    assert "JUNE 10TH.--The heat of the sun" in text and "Mr. BALDWIN at ten" in text


def test_a_note_below_the_text_goes_and_is_reported(tmp_path):
    note = ['"This projectile, as shown in No. 1, is composed of a cast-iron body and', "a wad of papier-mache that the powder drives into the rifling."]
    page = body_page() + [(20, 90 + i * 3.5, SMALL, line) for i, line in enumerate(note)]
    path = pdfs.placed_pdf(tmp_path / "note.pdf", [page])
    assert "projectile" not in passages_of(path)
    removed = clean.clean(extract.extract(path)).removed
    assert [r.kind for r in removed] == [layout.NOTE, layout.NOTE] and "projectile" in removed[0].text


def test_a_line_given_in_two_pieces_reads_whole(tmp_path):
    first, second = "I have a great curiosity to ", "It stands on a hill, and seems "
    pieces = [(20, 30, BODY, first), (20, 35, BODY, second), (22, 60, SMALL, "Solid Shot on a Sabot.")]
    page = pdfs.placed_pdf(tmp_path / "probe.pdf", [pieces])  # only to measure where the first pieces end
    ends = [max(r[2] for r in extract.extract(page).pages[0].runs if r[0].startswith(text[:5])) for text in (first, second)]
    pt = 25.4 / 72  # mm
    pieces += [
        (ends[0] * pt + 1, 30, BODY, "see the court house at Vicksburg."),
        (ends[1] * pt + 1, 35, BODY, "to be the target for many cannon."),
        (75, 40, BODY, "There is a Confederate flag waving from it defiantly."),
    ]
    text = passages_of(pdfs.placed_pdf(tmp_path / "pieces.pdf", [pieces]))
    assert "I have a great curiosity to see the court house at Vicksburg. It stands on a hill, and seems to be the target for many cannon." in text


def test_a_page_without_intruders_keeps_pypdf_text_exactly(tmp_path):
    path = pdfs.book_pdf(tmp_path / "plain.pdf", pdfs.paginate(pdfs.wrap(pdfs.story(6)), 2), header="PLAIN")
    document = extract.extract(path)
    assert all(page.runs for page in document.pages)
    texts, removed = layout.body_texts(document.pages)
    assert texts == [page.text for page in document.pages] and removed == []


@pytest.mark.parametrize("sizes", [(11, 11), (11, 8.8)])
def test_body_size_is_where_most_letters_are(sizes):
    body, other = sizes
    page = type("P", (), {"runs": (("a" * 100, 0, 1, 0, body), ("b" * 10, 0, 1, 0, other)), "text": "", "number": 1})
    assert layout.body_size([page]) == body


def test_the_sample_book_loses_nothing():
    from conftest import SAMPLE_BOOK

    assert clean.clean(extract.extract(SAMPLE_BOOK)).removed == ()


@pytest.mark.parametrize("columns", [2, 3])
def test_columns_on_shared_baselines_read_one_at_a_time(tmp_path, columns):
    """A 3 mm gutter (under an em at 9 pt) between columns whose lines share their baselines:
    no line is joined to its neighbour across the gutter, so every paragraph reads whole."""
    story = pdfs.story(30)
    text = passages_of(pdfs.columns_pdf(tmp_path / "columns.pdf", story, columns=columns))
    assert [p for p in story if p not in text] == []


def test_a_heading_set_large_never_runs_into_the_paragraph_before_it(tmp_path):
    """A chapter opening mid-page after a full line that ends a sentence: only its size tells
    it from the paragraph's last line."""
    full = "We laughed about it afterwards, for the wound was small and the surgeon kind."
    page = [(20, 30 + i * LEAD, BODY, line) for i, line in enumerate(FULL)]
    page += [(20, 45, BODY, full), (60, 58, 16, "CHAPTER II"), (45, 66, 16, "THE LONG ROLL"), (20, 76, BODY, FULL[2]), (20, 81, BODY, FULL[0])]
    path = pdfs.placed_pdf(tmp_path / "chapter.pdf", [page])
    found = pipeline.passages(path, pipeline.SegmentOptions(min_chars=20))
    assert not any("CHAPTER" in p.text or "LONG ROLL" in p.text for p in found)
    assert found[-1].chapter == "CHAPTER II: THE LONG ROLL" and found[0].chapter != found[-1].chapter
