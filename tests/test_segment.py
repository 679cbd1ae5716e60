"""Length rules on literal paragraphs: merge, split at sentence ends, offsets, ids, the report."""

import re
import warnings

import pytest

from synth.repair import clean, segment
from voicetune.errors import InputWarning
from synth.document import Paragraph


def sentences(n: int, words: int = 12) -> str:
    return " ".join(f"Sentence {i} says " + " ".join(["more"] * words) + "." for i in range(n))


def paragraphs(*texts: str, chapter: str | None = None) -> list[Paragraph]:
    return clean.with_offsets([Paragraph(t, 1, 1, chapter) for t in texts])


def test_sentence_ends_skip_abbreviations_and_initials():
    text = "Dr. Smith met J. R. Tolkien. They talked! Did they? Yes."
    assert [text[:end] for end in segment.sentence_ends(text)] == [
        "Dr. Smith met J. R. Tolkien.",
        "Dr. Smith met J. R. Tolkien. They talked!",
        "Dr. Smith met J. R. Tolkien. They talked! Did they?",
        text,
    ]


def test_long_text_is_split_at_sentence_ends_into_near_equal_chunks():
    text = sentences(30)
    chunks = segment.split_long(text, 600)
    assert all(len(c) <= 600 and c.endswith(".") for c in chunks)
    assert "".join(c.replace(" ", "") for c in chunks) == text.replace(" ", "")
    assert max(map(len, chunks)) - min(map(len, chunks)) < 200  # no tiny leftover tail


def test_no_sentence_is_cut_unless_it_alone_exceeds_the_maximum():
    text = sentences(10)
    for chunk in segment.split_long(text, 300):
        assert re.fullmatch(r"(Sentence \d+ says( more)+\. ?)+", chunk)


def test_a_sentence_longer_than_the_maximum_is_cut_at_clause_boundaries():
    long_sentence = "It went on, " + "and on, " * 60 + "until it stopped."
    chunks = segment.split_long(long_sentence, 150)
    assert all(len(c) <= 150 for c in chunks)
    assert all(c.endswith(",") for c in chunks[:-1]) and chunks[-1].endswith("stopped.")


def test_an_unbroken_word_longer_than_the_maximum_is_cut_anyway():
    assert [len(c) for c in segment.split_long("x" * 500, 120)] == [105, 105, 105, 105, 80]


def test_short_paragraphs_merge_with_the_next_in_their_chapter():
    merged = segment.merge_short(paragraphs("Short one.", "Short two.", sentences(4)), min_chars=100)
    assert len(merged) == 1 and merged[0].text.startswith("Short one.\n\nShort two.\n\nSentence 0")


def test_no_passage_straddles_two_chapters():
    first = paragraphs(sentences(3))
    second = [Paragraph("Tiny.", 2, 2, "Two"), Paragraph(sentences(3), 2, 2, "Two")]
    merged = segment.merge_short(first + second, min_chars=100)
    assert [p.chapter for p in merged] == [None, "Two"]


def test_a_chapter_too_short_for_one_answer_is_left_out_with_a_warning():
    paras = [Paragraph("TITLE PAGE", 1, 1, "Title"), *paragraphs(sentences(5), chapter="One")]
    with pytest.warns(InputWarning, match="left out 1 piece under --min-chars 300"):
        passages = segment.segment(clean.with_offsets(paras), "book.pdf")
    assert len(passages) == 1 and passages[0].chapter == "One"


def test_passage_offsets_point_into_the_repaired_text():
    paras = paragraphs("Short one.", sentences(40), "Another short one.", sentences(3))
    text = clean.repaired_text(paras)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is left out here
        passages = segment.segment(paras, "book.pdf", min_chars=50, max_chars=500)
    assert len(passages) > 3
    assert all(text[p.start : p.end] == p.text for p in passages)


def test_ids_are_pinned_and_unique_when_a_text_repeats():
    """Ids must not change between runs or versions: a reviewed record is found by its id. These
    are the values every earlier run produced; a change here orphans every user's reviews."""
    paras = paragraphs(sentences(3), sentences(3))
    assert [p.id for p in segment.segment(paras, "b.pdf", min_chars=10)] == ["04b8c43c49fa2a79", "5ece9cf8899d0574"]


def test_min_chars_above_max_chars_is_an_error():
    with pytest.raises(ValueError, match="must not exceed"):
        segment.segment(paragraphs(sentences(2)), "b.pdf", min_chars=500, max_chars=100)


def test_histogram_has_a_bucket_for_passages_over_the_maximum():
    rows = segment.histogram([100, 100, 900, 2500], max_chars=2000)
    assert len(rows) == 9
    assert rows[0].split()[-1] == "2" and rows[3].split()[-1] == "1" and rows[-1].split()[-1] == "1"
    assert rows[0].count("#") == 40 and rows[3].count("#") == 20


def test_report_shows_counts_lengths_and_the_first_passages():
    passages = segment.segment(paragraphs(sentences(3), sentences(6), sentences(9)), "memoir.pdf", min_chars=10)
    report = segment.report(passages, 10, 2000, show=2)
    assert report.startswith("memoir.pdf: 3 passages")
    assert f"shortest {len(passages[0].text)} (p.1)" in report and f"longest {len(passages[2].text)}" in report
    assert report.count("\n[") == 2 and passages[1].id in report and passages[2].id not in report


class _CountingText(str):
    """A str that counts the characters copied out of it by slicing or indexing."""

    copied = 0

    def __getitem__(self, key):
        piece = str.__getitem__(self, key)
        _CountingText.copied += len(piece)
        return piece


@pytest.mark.parametrize("sentences", [500, 2000])
def test_segmenting_one_long_line_copies_each_character_a_bounded_number_of_times(sentences):
    # A book saved as one line is one paragraph: cutting it must read it in linear work. Copying
    # the text before each sentence end (as a prefix) made 20 MB take a quarter of an hour.
    text = _CountingText(" ".join(f"Sentence {i} tells of the harbour, the boats and the weather." for i in range(sentences)))
    _CountingText.copied = 0
    passages = segment.segment([Paragraph(text, 1, 1, None, 0, len(text))], "book.txt")
    assert "".join(p.text.replace(" ", "") for p in passages) == text.replace(" ", "")
    assert _CountingText.copied <= 4 * len(text)
