"""Each text repair on literal strings, then paragraphs() on small literal documents."""

from collections import Counter
from pathlib import Path

import pytest

from synth.repair import boilerplate, clean, furniture, glyphs, notes, splitwords
from synth.document import Document, Page, Paragraph


def vocab(*words: str) -> Counter:
    return Counter(words)


def doc(*pages: str) -> Document:
    return Document(Path("book.pdf"), tuple(Page(i, text) for i, text in enumerate(pages, start=1)))


# -- glyphs -------------------------------------------------------------------------------------


def test_ligatures_become_letters():
    assert glyphs.repair_glyphs("\ufb01nely \ufb02ame e\ufb00ort o\ufb03ce ba\ufb04e") == "finely flame effort office baffle"


def test_soft_hyphens_tabs_and_no_break_spaces():
    assert glyphs.repair_glyphs("co\u00adoperate\tnow\u00a0here") == "cooperate now here"


def test_tex_accents_set_before_their_letter_compose_with_it():
    assert glyphs.repair_glyphs("IRENE NORTON, n\u00b4ee ADLER") == "IRENE NORTON, n\u00e9e ADLER"
    assert glyphs.repair_glyphs("na\u00a8\u0131ve \u00b4Emile Dvo\u02c7r\u00b4ak pi`ece se\u02dcnor") == "na\u00efve \u00c9mile Dvo\u0159\u00e1k pi\u00e8ce se\u00f1or"


def test_apostrophes_and_quotes_that_look_like_accents_stay():
    text = "it\u00b4s ``quoted'' a `word' 2\u00b4 long"
    assert glyphs.repair_glyphs(text) == text


# -- hyphenation and line joining ---------------------------------------------------------------


def test_end_of_line_hyphen_joins_a_word_cut_in_two():
    assert clean.join_words("the foli-", "age was green", vocab("foliage")) == "the foliage was green"


def test_fragments_join_even_when_the_book_never_writes_the_word_whole():
    assert clean.join_words("eclipses and pre-", "dominates the", vocab()) == "eclipses and predominates the"


def test_real_hyphen_stays_when_the_book_writes_the_hyphenated_form():
    assert clean.join_words("a well-", "known engine", vocab("well-known", "wellknown")) == "a well-known engine"


def test_hyphen_between_two_real_words_stays_when_the_book_writes_neither_form():
    assert clean.join_words("a fire-", "place", vocab("fire", "place")) == "a fire-place"


def test_joined_form_wins_over_two_words():
    assert clean.join_words("some-", "thing else", vocab("some", "thing", "something")) == "something else"


def test_capitalised_continuation_is_not_hyphenation():
    """The hyphen stays and no space is put after it: "Austro- Hungarian" and "Heat- Ray" were the
    split words this made."""
    assert clean.join_words("the Austro-", "Hungarian army", vocab()) == "the Austro-Hungarian army"
    assert clean.join_words("young Mc-", "Carthy said", vocab("mccarthy")) == "young McCarthy said"  # the book writes it whole


def test_punctuation_split_off_by_a_font_change_joins_without_space():
    assert clean.join_words("practise, PRACTISE", ". If you", vocab()) == "practise, PRACTISE. If you"
    assert clean.join_words("a terror.\u2014", "William Penn", vocab()) == "a terror.\u2014William Penn"


def test_vocabulary_does_not_count_the_halves_of_a_cut_word():
    words = clean.vocabulary(["the foli-", "age of a well-known tree"])
    assert words["foli"] == 0 and words["age"] == 0 and words["well-known"] == 1 and words["tree"] == 1


# -- headers, footers, page numbers -----------------------------------------------------------


WORDS = "apple birch cedar daisy elm fern grape hazel iris juniper kale lemon".split()


def body(i: int) -> list[str]:
    """Three lines of text that no other page repeats."""
    return [f"The {WORDS[i]} grew by the wall.", f"We picked the {WORDS[i + 1]} in June.", f"Then the {WORDS[i + 2]} wilted."]


def test_running_header_with_changing_page_number_is_removed():
    pages = [[f"ADVENTURE I. A SCANDAL IN BOHEMIA {i}", *body(i), str(i)] for i in range(1, 7)]
    assert furniture.strip_furniture(pages) == [body(i) for i in range(1, 7)]


@pytest.mark.parametrize("line", ["12", "- 12 -", "\u20144", "xii", "Page 7", "[3]"])
def test_bare_page_numbers_at_page_edges_are_removed(line):
    assert furniture.strip_furniture([["Some text.", "Other text.", "Third.", line]]) == [["Some text.", "Other text.", "Third."]]


def test_a_number_inside_the_page_is_text():
    page = ["Top line.", "Second line.", "1914", "Fourth line.", "Fifth line."]
    assert furniture.strip_furniture([page]) == [page]


def test_a_line_repeated_on_two_pages_only_is_not_a_header():
    pages = [["Chapter text begins.", "A line."], ["Chapter text begins.", "Another line."]]
    assert furniture.strip_furniture(pages) == pages


def test_ocr_misspelled_header_matches_loosely():
    pages = [[f"THE SIEGE OF VICKSBURG. {40 + i}", *body(i)] for i in range(4)]
    pages.append(["50 THE SIEGE OF VICKSBUEG.", *body(4)])
    assert furniture.strip_furniture(pages) == [body(i) for i in range(5)]


# -- Project Gutenberg ----------------------------------------------------------------------------


def test_gutenberg_header_credit_and_licence_are_removed():
    lines = [
        (1, "The Project Gutenberg EBook of A Book"),
        (1, "This eBook is for the use of anyone anywhere at no cost"),
        (1, "*** START OF THIS PROJECT GUTENBERG EBOOK A BOOK ***"),
        (1, "Produced by Some Volunteers and the Online"),
        (1, "Distributed Proofreading Team at http://www.pgdp.net"),
        (2, "CHAPTER I"),
        (2, "The real text."),
        (3, "End of the Project Gutenberg EBook of A Book"),
        (3, "*** END OF THIS PROJECT GUTENBERG EBOOK A BOOK ***"),
        (3, "THE FULL PROJECT GUTENBERG LICENSE"),
    ]
    assert boilerplate.strip_gutenberg(lines) == [(2, "CHAPTER I"), (2, "The real text.")]


def test_text_without_gutenberg_markers_is_untouched():
    lines = [(1, "Produced by a small press."), (1, "Text.")]
    assert boilerplate.strip_gutenberg(lines) == lines


# -- drop caps and small capitals ---------------------------------------------------------------


def test_drop_cap_reattached_to_its_word():
    assert clean.reattach_initials(["O", "F all the problems which"], vocab("of")) == ["Of all the problems which"]


def test_drop_cap_after_opening_quote():
    assert clean.reattach_initials(["\u201c", "M", "Y dear fellow,\u201d said"], vocab()) == ["\u201cMy dear fellow,\u201d said"]


def test_drop_cap_that_is_a_word_of_its_own():
    lines = ["I", "HAD called upon my friend", "who had a visitor."]
    assert clean.reattach_initials(lines, clean.vocabulary(lines)) == ["I had called upon my friend", "who had a visitor."]


def test_section_numeral_before_a_drop_cap_stays_a_line():
    assert clean.reattach_initials(["I", "T", "O Sherlock Holmes she"], vocab("to")) == ["I", "To Sherlock Holmes she"]


def test_small_capitals_split_inside_a_line():
    assert clean.reattach_initials(["feeling.\u2014C.S. B", "ALDWIN, Writing and Speaking"], vocab()) == [
        "feeling.\u2014C.S. Baldwin, Writing and Speaking"
    ]


def test_heading_ending_in_a_numeral_is_not_an_initial():
    lines = ["Adventure I", "A Scandal In Bohemia"]
    assert clean.reattach_initials(lines, vocab("a", "scandal")) == lines
    assert clean.reattach_initials(["CHAPTER I", "ACQUIRING CONFIDENCE"], vocab("acquiring")) == ["CHAPTER I", "ACQUIRING CONFIDENCE"]


# -- headings -------------------------------------------------------------------------------------

BODY = "There is a strange sensation often experienced in the presence of an audience, they say."


def test_title_case_line_before_body_is_a_heading():
    assert clean.is_heading("Be Absorbed by Your Subject", [BODY], width=len(BODY))


@pytest.mark.parametrize(
    "line, following",
    [
        ("I intended to buy a", ["HOUSE", "this Spring (and not an automobile)."]),  # a font change, not a heading
        ("Less than a hundred years ago a furious rabble smashed", ["Thimonier's invention, the sewing machine."]),
        ("The end of it all.", [BODY]),
    ],
)
def test_sentence_pieces_are_not_headings(line, following):
    assert not clean.is_heading(line, following, width=len(BODY))


@pytest.mark.parametrize(
    "headings, title",
    [
        (["Adventure I", "A Scandal In Bohemia", "I"], "Adventure I: A Scandal In Bohemia"),
        (["Adventure VII", "The Adventure Of The Blue", "Carbuncle"], "Adventure VII: The Adventure Of The Blue Carbuncle"),
        (["Contents", "A Scandal In Bohemia 3", "The Red-Headed League 21", "Adventure I", "A Scandal"], "Adventure I: A Scandal"),
        (["Chapter 1: The Harbour at Kellhaven"], "Chapter 1: The Harbour at Kellhaven"),
        (["II"], None),
    ],
)
def test_chapter_title(headings, title):
    assert clean.chapter_title(headings) == title


# -- paragraphs -----------------------------------------------------------------------------------

WIDE = "x" * 70  # lines of a justified page are about this long


def test_paragraphs_from_pages_with_headers_numbers_and_hyphenation():
    header = "SALT IN THE GEARS"
    pages = [
        f"{header} 1\nChapter 1: The Harbour\nMy father fished for herring and later for whatever the quotas al-\n"
        "lowed, and my mother mended nets in the long shed behind the harbour of-\n1",
        f"{header} 2\nfice. It was a well-known place, and everyone in the town knew where\nit was.\n"
        "Most of my memories smell of diesel, tar and frying onions, and I still\ncannot walk past a boatyard.\n2",
        f"{header} 3\nWe lived in the third house up Chapel Lane, close enough to the water\nthat the spray reached us.\n3",
    ]
    paragraphs = clean.paragraphs(doc(*pages))
    assert [p.text for p in paragraphs] == [
        "My father fished for herring and later for whatever the quotas allowed, and my mother mended nets "
        "in the long shed behind the harbour office. It was a well-known place, and everyone in the town knew where it was.",
        "Most of my memories smell of diesel, tar and frying onions, and I still cannot walk past a boatyard.",
        "We lived in the third house up Chapel Lane, close enough to the water that the spray reached us.",
    ]
    assert [(p.first_page, p.last_page) for p in paragraphs] == [(1, 2), (2, 2), (3, 3)]
    assert {p.chapter for p in paragraphs} == {"Chapter 1: The Harbour"}


def test_offsets_point_into_the_repaired_text():
    paragraphs = clean.paragraphs(doc("First paragraph here.\n\nSecond one, a little longer.\n\n# A Heading\n\nThird."))
    text = clean.repaired_text(paragraphs)
    assert [text[p.start : p.end] for p in paragraphs] == [p.text for p in paragraphs]
    assert paragraphs[-1].chapter == "A Heading"


def test_index_blocks_are_not_prose():
    assert not clean.is_prose("Accentuation, 150. ADDISON, JOSEPH, 134. ADE, GEORGE, 252. Analogy, 223. Analysis, 225.")
    assert clean.is_prose("In 1876, at the age of 12, she walked 3 miles to school every day of the year.")


def test_a_page_range_starting_mid_sentence_starts_at_the_next_sentence():
    document = Document(Path("b.pdf"), (Page(3, "the boats went out. She stood at the window.\n"),))
    assert [p.text for p in clean.paragraphs(document)] == ["She stood at the window."]


# -- publisher notices -------------------------------------------------------------------------------

CHAPTER = [
    f"Chapter paragraph {i}: the harbour was quiet that winter, and nobody expected the boats to go out before March. "
    "The men spent their mornings in the net shed, mending and arguing about the price of diesel and the weather." for i in range(60)
]
NOTICES = [
    "This eBook was designed and published by Harbour Books. For more free eBooks visit our Web site at http://www.harbourbooks.example/",
    "Copyright © 2014 Agnes Tarrow. All rights reserved.",
    "Sign up for our newsletter and hear about new releases first.",
]


def plain(*texts: str) -> list[Paragraph]:
    return [Paragraph(t, 1, 1) for t in texts]


def test_publisher_notices_in_front_and_back_matter_are_removed_and_reported():
    split = boilerplate.remove_notices(plain(*NOTICES[:2], *CHAPTER, NOTICES[2]))
    assert [p.text for p in split.removed] == NOTICES[:2] + [NOTICES[2]]
    assert [p.text for p in split.kept] == CHAPTER


def test_the_same_words_in_the_body_are_the_authors():
    middle = "I signed up for the newsletter of the harbour board, and it was the dullest thing I ever read."
    split = boilerplate.remove_notices(plain(*CHAPTER[:30], middle, *CHAPTER[30:]))
    assert not split.removed


def test_a_long_preface_that_mentions_copyright_once_is_kept():
    preface = "This book took me ten years. " * 20 + "My publisher worried about copyright, but the letters are my family's."
    assert not boilerplate.remove_notices(plain(preface, *CHAPTER)).removed


def test_clean_reports_what_it_removed():
    doc = Document(Path("b.txt"), (Page(1, "\n\n".join([NOTICES[0], *CHAPTER])),))
    cleaned = clean.clean(doc)
    assert cleaned.boilerplate == (NOTICES[0],) and cleaned.paragraphs[0].text == CHAPTER[0] and cleaned.paragraphs[0].start == 0


# -- split words -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, repaired",
    [
        ("the tr uth of it", "the truth of it"),
        ("a deat h in March", "a death in March"),
        ("he spoke vigorous ly", "he spoke vigorously"),
        ("my fat her said", "my father said"),
        ("the Heat- Ray came", "the Heat-Ray came"),
        ("a loud bell rang", "a loud bell rang"),  # "aloud" is a word, and so are "a" and "loud"
        ("Van Dyke painted", "Van Dyke painted"),  # a capital starts a word of its own
        ("any one of them", "any one of them"),  # two words the book uses
        ("bread a nd salt", "bread and salt"),  # a one-letter word, then a fragment that never is one
        ("o f the sea", "of the sea"),
        ("on an- other day", "on another day"),  # a line-end hyphen left inside the line
        ("a self- made man", "a self-made man"),  # ...where the book writes the word with it
        ("pre- and post-war", "pre- and post-war"),  # a hyphen that waits for its word
        ("it may be so", "it may be so"),  # two everyday words, though the book writes "maybe" and never "may"
        ("went in to the sea", "went in to the sea"),
        ("the White House said", "the White House said"),  # "whitehouse.gov" is an address, not a word
        ("a head of us", "a head of us"),
        ("a pt de foie gras", "a pt de foie gras"),  # "pâté" with its accented letters lost, next to "apt", a rare word
    ],
)
def test_split_words_join_by_the_books_vocabulary(line, repaired):
    book = (
        "The truth. A death. Vigorously. The Heat-Ray. Read aloud. The Vandyke beard. Anyone. Any. One. A bell. Loud. Father. Her. "
        "Bread and butter, and more, and more, and more, and more, and more, and more, and more, and more, and more. Of course, of course, of course, of course, of course, of course, of course, of course, of course. Apt. Another. Self-made. Maybe. Into. See whitehouse.gov or www.whitehouse.gov. Ahead. Salt. Sea."
    )
    assert splitwords.join(f"{book}\n{line}").split("\n")[1] == repaired


@pytest.mark.parametrize(
    "text, caption",
    [
        ("The Yankee Lookout.", True),
        ("Grape Shot.", True),
        ("Solid Shot strapped on a Sabot.", False),  # a verb in lower case: a sentence
        ("Then the storm came.", False),
        ("“Good Morning.”", False),
        ("Thanks.", False),
    ],
)
def test_captions_are_short_title_case_lines_with_a_full_stop(text, caption):
    assert clean.is_caption(text) is caption


def test_a_caption_between_paragraphs_is_not_in_the_text():
    text = "The men dug all night.\n\nThe Yankee Lookout.\n\nJune 10th. The heat of the sun increases, and we must improve our quarters."
    paragraphs = clean.paragraphs(Document(Path("d.txt"), (Page(1, text),)))
    assert [p.text for p in paragraphs] == ["The men dug all night.", "June 10th. The heat of the sun increases, and we must improve our quarters."]


def test_a_word_cut_at_a_line_end_without_a_hyphen_is_joined_with_the_next_line():
    body = "He spoke with emphasis, a mixture of feeling and emphasize. The mix was right, and so was nature."
    lines = ["you will want to em", "phasize destiny, for it was a mix", "ture of about everything in na", "ture. The mix was right."]
    (paragraph,) = clean.paragraphs(Document(Path("b.txt"), (Page(1, body + "\n\n" + "\n".join(lines)),)))[1:]
    assert paragraph.text == "you will want to emphasize destiny, for it was a mixture of about everything in nature. The mix was right."


# -- notes ------------------------------------------------------------------------------------------

NOTED = [
    "Chapter 1",
    "The harbour",
    "The boats went out before dawn, as my father's boats always had, and the men",
    "were home by noon with the catch.",
    "[1]",
    "My mother kept the ledger; she wrote every price in it in red ink.[2] Nobody",
    "else was allowed to touch it, not even my father.",
    "FOOTNOTES:",
    "[1]",
    "The harbour was rebuilt in 1962 after the storm.",
    "[2]",
    "The ledger is now in the town museum. Used by permission.",
    "CHAPTER 2",
    "The storm",
    "The storm came in the second week of March.",
]


def test_a_notes_section_and_its_markers_go_and_are_reported():
    cleaned = clean.clean(doc("\n".join(NOTED)))
    text = clean.repaired_text(list(cleaned.paragraphs))
    assert "rebuilt in 1962" not in text and "museum" not in text and "FOOTNOTES" not in text and "[" not in text
    assert "were home by noon with the catch." in text and "My mother kept the ledger; she wrote every price in it in red ink. Nobody else" in text
    assert [p.chapter for p in cleaned.paragraphs][-1] == "CHAPTER 2: The storm"
    kinds = [r.kind for r in cleaned.removed]
    assert kinds == [notes.NOTES, notes.MARKERS, notes.MARKERS]
    assert cleaned.removed[0].text.startswith("FOOTNOTES: [1] The harbour was rebuilt")


def test_notes_at_the_end_of_the_book_go():
    text = clean.repaired_text(clean.paragraphs(doc("\n".join(NOTED[:7] + ["Notes", "[1] Rebuilt in 1962.", "[2] Now in the museum."]))))
    assert "museum" not in text and "Rebuilt" not in text and text.endswith("not even my father.")


def test_without_numbered_notes_bracketed_numbers_and_a_chapter_called_notes_stay():
    lines = [line for line in NOTED[:7] if line != "[1]"] + ["Notes", "She called the pages at the back of it her notes, and read them aloud [1] to us."]
    text = clean.repaired_text(clean.paragraphs(doc("\n".join(lines))))
    assert "in red ink.[2] Nobody" in text and "read them aloud [1] to us." in text


# -- progress -----------------------------------------------------------------------------------


def test_repairing_a_large_document_shows_its_progress_on_stderr(monkeypatch, capsys):
    text = "The boats went out at dawn and came back with the tide.\n" * 40
    assert clean.paragraphs(doc(text))  # under LARGE_TEXT: silent
    assert "repairing" not in capsys.readouterr().err
    monkeypatch.setattr(clean, "LARGE_TEXT", len(text))
    assert clean.paragraphs(doc(text))
    err = capsys.readouterr().err
    assert "repairing book.pdf" in err and f"/{clean.STEPS} " in err


def test_letters_set_apart_by_tabs_read_as_words():
    """An e-book's HTML can hold a tab inside a word ("a\tnd"), as a PDF holds a kerning gap."""
    body = "The truth of it. Bread and salt, and the sea. A boat, a net and a rope, and then the end. " * 3
    text = body + "\n\n" + "It was the tr\tuth, bread a\tnd salt, and th\te sea."
    (paragraph,) = clean.paragraphs(Document(Path("b.html"), (Page(1, text),)))[1:]
    assert paragraph.text == "It was the truth, bread and salt, and the sea."


# -- printer's slugs and running heads on short documents -------------------------------------------


@pytest.mark.parametrize(
    "slug",
    [
        "VerDate Sep<11>2014 16:21 Jan 05, 2015 Jkt 235001 PO 00000 Frm 00013 Fmt 4700 Sfmt 4700 E:\\FR\\FM\\06JAN1.SGM 06JAN1",
        "Holmes_9780143039433_Text.indd 23 5/1/12 3:42 PM",
        "04-PROOF job 2231 plate 17 run 3 12.03.19",
    ],
)
def test_a_printers_slug_at_the_page_foot_goes(slug):
    page = ["The boats went out before dawn, as they always had.", "In 1865 there were 300 men and 12 boats on the quay, and 4 of them were ours.", slug]
    assert furniture.strip_furniture([page]) == [page[:2]]


def test_a_running_head_with_an_advancing_page_number_goes_from_a_two_page_article():
    head = "Federal Register / Vol. 80, No. 3 / Rules and Regulations"
    pages = [[f"{head} 513", "The boats went out before dawn."], [f"514 {head}", "The men came back at noon."]]
    assert furniture.strip_furniture(pages) == [["The boats went out before dawn."], ["The men came back at noon."]]
    chapters = [["Chapter 1", "The boats went out before dawn."], ["Chapter 2", "The men came back at noon."]]
    assert furniture.strip_furniture(chapters) == chapters  # a label with its number, not a header
