"""Pure text repairs: page text -> paragraphs of running prose.

pypdf gives each page as lines, with the layout's line breaks, running headers, page numbers,
ligature glyphs, TeX's separate accents, drop-cap initials and licence boilerplate. Every defect
left here ends up in a training answer, so this module undoes them in order, each step a pure
function (glyphs.py, furniture.py and boilerplate.py hold the steps that are not about words):

    captions/sidebars (PDFs) -> glyphs -> headers/footers/page numbers -> Gutenberg licence -> notes
    -> split words -> initials -> paragraphs -> publisher notices

Decisions that depend on the book (is "well-" + "known" one word or two?) are made from the
book's own vocabulary: the words it uses elsewhere.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from itertools import groupby

from synth.repair import boilerplate, notes, splitwords
from synth.sources import layout
from synth.repair.furniture import strip_furniture
from synth.repair.glyphs import repair_glyphs
from synth.document import Document, Paragraph, Removed

SHORT_LINE = 0.85  # a line shorter than this share of the text width can end a paragraph
PARAGRAPH_BREAK = "\n\n"

_SENTENCE_END = re.compile(r"""[.!?]["'\u201d\u2019)\]]*$""")
_NUMERAL = re.compile(r"^(?:\d{1,3}|[IVXLC]{1,7})\.?$")  # a section number on its own line
_ROMAN = re.compile(r"^[IVXLC]{1,7}\.?$")
_NO_LETTERS = re.compile(r"^[^\w]*\d[^a-zA-Z]*(?<![.!?])$")  # a chart's axis or a table's cells, never a sentence's end
_LABEL_START = r"^(?:chapter|part|book|adventure|section|act|letter|volume|appendix)\s+(?:\d+|[ivxlc]+|[a-z]+)\b"
_LABEL = re.compile(_LABEL_START + r"\.?$", re.IGNORECASE)  # "Chapter XI", a title on the next line
_TITLED_LABEL = re.compile(_LABEL_START, re.IGNORECASE)  # "Chapter 1: The Harbour" too
_BARE_LABEL = re.compile(r"^(?:[^\W\d_]+\s+){0,2}(?:\d+|[IVXLC]+|one|two|three|four|five|six|seven|eight|nine|ten)\.?$", re.IGNORECASE)  # "STAVE ONE."
_TOC_ENTRY = re.compile(r"^\D.*\D\s+\d{1,4}$")  # "A Scandal In Bohemia 3"
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_WORD = re.compile(r"[^\W\d_]+(?:[-'\u2019][^\W\d_]+)*")
_INITIAL = re.compile(r"(?:^|[^\w'\u2019])([A-Z])$")  # a line ending in a lone capital
_SMALL_CAPS = re.compile(r"([A-Z]+)(?=$|[^\w'\u2019])")  # a line starting with a word in capitals
# The small words Title Case leaves in lower case (headings, captions). Deliberately not
# voicetune.words.STOPWORDS: its wider set takes short sentences for captions ("Hungary, Beethoven there.").
_TITLE_SMALL_WORDS = set("a an the of to in on at by for with and or but as is was be that this his her their my our your".split())
_OPENING_QUOTE = {"\u201c", "\u2018", '"', "'"}  # also a lone one set before a drop cap
_NO_SPACE_BEFORE = tuple(".,;:!?)]\u201d\u2019")

Lines = list[tuple[int, str]]  # (page number, line) in reading order


def page_lines(text: str) -> list[str]:
    """A page's lines with glyphs repaired and spaces collapsed; blank lines kept as ""
    (they end paragraphs in plain text)."""
    return [re.sub(r"\s+", " ", line).strip() for line in repair_glyphs(text).splitlines()]


def vocabulary(lines: list[str]) -> Counter[str]:
    """How often the document uses each word (lowercased), hyphenated compounds as one word.
    The two halves of a word cut by a line-end hyphen are not counted: they are what the
    vocabulary is asked about."""
    words: Counter[str] = Counter()
    cut = False
    for line in lines:
        found = _WORD.findall(line.lower())
        if cut and line[:1].islower():
            found = found[1:]
        cut = line.endswith("-")
        words.update(found[:-1] if cut else found)
    return words


def reattach_initials(lines: list[str], vocab: Counter[str]) -> list[str]:
    """Join a drop-cap or small-caps initial to the rest of its word.

    pypdf gives "O" and then "F all the problems", or "C.S. B" then "ALDWIN": the initial is set
    apart and the rest of the word in small capitals. The word reads "Of", "Baldwin". When the
    book uses the rest as a word of its own and never the joined form, the two are two words:
    "I" + "HAD called" reads "I had called".
    """
    rests = Counter(m.group(1).lower() for line in lines if (m := _SMALL_CAPS.match(line)))
    result: list[str] = []
    for line in lines:
        previous = result[-1] if result else ""
        initial, rest = _INITIAL.search(previous), _small_caps(line, alone=len(previous) <= 2)
        if previous in _OPENING_QUOTE:
            result[-1] = previous + line  # a lone opening quote set before a drop cap
        elif initial and rest and not _LABEL.match(previous):
            word = _initial_word(initial.group(1), rest.group(1), line[rest.end() :], vocab, rests)
            result[-1] = previous[: initial.start(1)] + word + line[rest.end() :]
        else:
            result.append(line)
    return result


def _small_caps(line: str, alone: bool) -> re.Match | None:
    """The word in capitals that starts a line continuing an initial. After a drop cap on its
    own line it may be one letter ("O" + "F all"); after a line ending in a capital it must be
    longer, or "Adventure I" + "A Scandal" would read as one word."""
    match = _SMALL_CAPS.match(line) if len(line) > 1 else None
    return match if match and (alone or len(match.group(1)) > 1) else None


def _initial_word(letter: str, capitals: str, after: str, vocab: Counter[str], rests: Counter[str]) -> str:
    joined, word = (letter + capitals).lower(), capitals.lower()
    if not vocab[joined] and vocab[word] > rests[word]:
        # two words: small capitals continue in lower case, a heading stays in capitals
        return f"{letter} {word if after.lstrip()[:1].islower() else capitals}"
    return letter + joined[1:]


def join_words(text: str, line: str, vocab: Counter[str], splits: frozenset[tuple[str, str]] = frozenset()) -> str:
    """Append a layout line to a paragraph: undo end-of-line hyphenation, keep real hyphens.

    "foli-" + "age" is one word unless the book writes "foli-age" elsewhere; when it writes
    neither form, two real words ("well", "known") keep their hyphen and fragments are joined.
    A word cut at the line end without a hyphen ("em" + "phasize") is joined when `splits`
    (splitwords.suspects of the book) holds the pair.
    """
    if not text:
        return line
    last, first = re.search(r"([^\W\d_]+)$", text), re.match(r"[^\W\d_]+", line)
    if last and first and (last.group(1), first.group(0)) in splits:
        return text + line
    cut = text.endswith("-") and re.search(r"([^\W\d_]+)-$", text[-80:])
    if cut and line[:1].islower():
        head, tail = cut.group(1).lower(), _WORD.match(line.lower())
        tail = tail.group(0) if tail else ""
        if _keeps_hyphen(head, tail, vocab):
            return text + line
        return text[:-1] + line
    if cut and line[:1].isupper():  # "Heat-" + "Ray": a compound's second word; "Mc-" + "Carthy": one name
        tail = _WORD.match(line.lower())
        joined = tail and cut.group(1).lower() + tail.group(0)
        return text[:-1] + line if joined and vocab[joined] and not vocab[f"{cut.group(1).lower()}-{tail.group(0)}"] else text + line
    if line.startswith(_NO_SPACE_BEFORE) or text.endswith("\u2014") or line.startswith("\u2014"):
        return text + line  # a comma or dash split off by a font change, or a dash at the line end
    return f"{text} {line}"


def _keeps_hyphen(head: str, tail: str, vocab: Counter[str]) -> bool:
    tail_first = tail.split("-")[0]
    if vocab[f"{head}-{tail}"] or vocab[f"{head}-{tail_first}"]:
        return True
    if vocab[head + tail] or vocab[head + tail_first]:
        return False
    return len(head) > 2 and len(tail_first) > 2 and bool(vocab[head]) and bool(vocab[tail_first])


def text_width(lines: list[str]) -> int:
    lengths = sorted(len(line) for line in lines if line)
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def is_heading(line: str, following: list[str], width: int) -> bool:
    """A short unpunctuated line followed by body text or by another heading line.

    A line followed by a short fragment is not a heading but a sentence cut by a font change
    ("I intended to buy a" + "HOUSE" + "this Spring"), which headings would lose."""
    if _MARKDOWN_HEADING.match(line):
        return True
    if not _heading_shape(line, width):
        return False
    after, then = (following + [None, None])[:2]
    if after is None or _NUMERAL.match(after):
        return True
    if not _starts_sentence(after):
        return False
    return len(after) >= 0.5 * width or (_heading_shape(after, width) and (then is None or _starts_sentence(then)))


def _starts_sentence(line: str) -> bool:
    return line[:1].isupper() or line[:1] in "\"'\u201c\u2018"


def _heading_shape(line: str, width: int) -> bool:
    last_word = line.rsplit(None, 1)[-1]  # "... Of The" may wrap a title; "... buy a" is a sentence
    return (
        len(line) < 0.7 * width
        and not re.search(r"""[.!?,;:"'\u201d\u2019\u2014-]$""", line)
        and line[:1].isupper()
        and last_word not in _TITLE_SMALL_WORDS
        # Title Case or CAPITALS; a line of lower-case words is a sentence cut by the layout
        and sum(len(word) > 3 and word[0].islower() for word in line.split()) <= 1
    )


def chapter_title(headings: list[str], marked: bool = False) -> str | None:
    """The chapter name from the heading lines that precede a chapter's text.

    ["Adventure VII", "The Adventure Of The Blue", "Carbuncle", "I"] -> "Adventure VII: The
    Adventure Of The Blue Carbuncle". Section numbers and table-of-contents lines are not names.
    Headings the markup marks (`marked`: an e-book's) are never wrapped: the name is the last one,
    after its label when the one before is a bare label (["PREFACE"], ["STAVE ONE.", "MARLEY'S GHOST."]).
    """
    lines = [h for h in headings if not _NUMERAL.match(h) and not (_TOC_ENTRY.match(h) and not _LABEL.match(h))]
    labels = [i for i, h in enumerate(lines) if _TITLED_LABEL.match(h)]
    if marked and not labels:  # a marked heading is whole: the last, after its label ("STAVE ONE." + "MARLEY'S GHOST.")
        lines = lines[-2:] if len(lines) > 1 and _BARE_LABEL.match(lines[-2]) else lines[-1:]
    lines = lines[labels[-1] :] if labels else lines[-2:]
    if not lines:
        return None
    if _LABEL.match(lines[0]) and len(lines) > 1:
        return f"{lines[0].rstrip('.')}: {' '.join(lines[1:])}"
    return " ".join(lines)


def document_lines(doc: Document) -> Lines:
    """All lines of the document in reading order, repaired, with their page numbers."""
    return read_lines(doc)[0]


def read_lines(doc: Document, bar=None) -> tuple[Lines, list[Removed]]:
    """The document's lines of the author's text, and what was removed as not the author's
    (captions and sidebars by where they sit on a PDF page, notes and their markers).
    `bar` (a tqdm bar, see `progress`) is advanced after each step."""
    bar = bar or progress(doc, disable=True)
    texts, removed = layout.body_texts(doc.pages)
    pages = [page_lines(text) for text in texts]
    if doc.marked:  # a spine file's end ends its paragraph; no running heads in an e-book's files
        pages = [lines + [""] for lines in pages]
        removed = [*doc.removed, *removed]
    else:
        pages = strip_furniture(pages)
    numbered = [(page.number, line) for page, lines in zip(doc.pages, pages) for line in lines]
    bar.update()
    numbered, noted = notes.strip_notes(boilerplate.strip_gutenberg(numbered))
    bar.update()
    joined = splitwords.join("\n".join(line for _, line in numbered)).split("\n")  # "deat h" -> "death"
    numbered = [(number, line) for (number, _), line in zip(numbered, joined)]
    bar.update()
    vocab = vocabulary([line for _, line in numbered])
    result: Lines = []
    for number, page in groupby(numbered, key=lambda item: item[0]):
        result += [(number, line) for line in reattach_initials([line for _, line in page], vocab)]
    bar.update()
    return result, removed + noted


LARGE_TEXT = 1_000_000  # characters: from about this size the repairs take long enough to show their progress
STEPS = 6  # bar.update() calls: four in read_lines, two in clean


def progress(doc: Document, disable: bool | None = None):
    """A progress bar on stderr over the repair steps, shown for a document of LARGE_TEXT
    characters or more (a book on one line took minutes in silence); it vanishes when done."""
    from tqdm import tqdm

    if disable is None:
        disable = sum(len(page.text) for page in doc.pages) < LARGE_TEXT
    return tqdm(total=STEPS, desc=f"repairing {doc.path.name}", unit="step", leave=False, disable=disable)


@dataclass(frozen=True)
class Cleaned:
    paragraphs: tuple[Paragraph, ...]  # with their offsets into repaired_text(paragraphs)
    boilerplate: tuple[str, ...]  # paragraphs removed as publisher notices
    removed: tuple[Removed, ...] = ()  # captions, sidebars, notes and note markers


def clean(doc: Document) -> Cleaned:
    """The document's paragraphs of the author's prose, and what was removed as not the author's."""
    with progress(doc) as bar:
        lines, removed = read_lines(doc, bar)
        found = line_paragraphs(lines)
        bar.update()
        split = boilerplate.remove_notices(found)
        bar.update()
    return Cleaned(tuple(with_offsets(list(split.kept))), tuple(p.text for p in split.removed), tuple(removed))


def paragraphs(doc: Document) -> list[Paragraph]:
    return list(clean(doc).paragraphs)


def line_paragraphs(lines: Lines) -> list[Paragraph]:
    """Paragraphs of running prose, each with its page range, chapter and offsets.

    A line that ends a sentence and stops well short of the text width ends its paragraph;
    other line breaks are joined. Heading lines before a paragraph name its chapter."""
    texts = [line for _, line in lines]
    vocab, width = vocabulary(texts), text_width(texts)
    splits = frozenset(splitwords.suspects("\n".join(texts)))
    result: list[Paragraph] = []
    chapter, headings, current, marked = None, [], [], True
    for i, (number, line) in enumerate(lines):
        if current and (not line or ((_ROMAN.match(line) or _NO_LETTERS.match(line)) and _SENTENCE_END.search(current[-1][1]))):
            result.append(_paragraph(current, chapter, vocab, splits))
            current = []
        if not line:
            continue
        if not current and (is_heading(line, _following(lines, i), width) or _NUMERAL.match(line)):
            match = _MARKDOWN_HEADING.match(line)
            headings.append(match.group(1).strip() if match else line)
            marked = marked and bool(match)
            continue
        if headings:
            chapter, headings, marked = chapter_title(headings, marked) or chapter, [], True
        current.append((number, line))
        if _SENTENCE_END.search(line) and len(line) < SHORT_LINE * width:
            result.append(_paragraph(current, chapter, vocab, splits))
            current = []
    if current:
        result.append(_paragraph(current, chapter, vocab, splits))
    result = drop_partial_start(result)  # a page range, or an excerpt, can start mid-sentence
    return [p for p in result if is_prose(p.text) and not is_caption(p.text)]


def drop_partial_start(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """A page range or an excerpt can start in the middle of a sentence ("the boats went out..."); an answer
    should not. Drop the text up to the first sentence end when the first line starts lower-case."""
    if not paragraphs or not paragraphs[0].text[:1].islower():
        return paragraphs
    first = paragraphs[0]
    end = re.search(r"""[.!?]["'\u201d\u2019)\]]*\s+(?=\S)""", first.text)
    rest = [replace(first, text=first.text[end.end() :])] if end else []
    return rest + paragraphs[1:]


def _following(lines: Lines, i: int) -> list[str]:
    return [line for _, line in lines[i + 1 : i + 6] if line][:2]


def _paragraph(lines: Lines, chapter: str | None, vocab: Counter[str], splits: frozenset = frozenset()) -> Paragraph:
    text = ""
    for _, line in lines:
        text = join_words(text, line, vocab, splits)
    return Paragraph(text, lines[0][0], lines[-1][0], chapter)


def is_caption(text: str) -> bool:
    """A picture's caption set as a paragraph of its own: "The Yankee Lookout.", "Grape Shot.":
    two to six words, every one capitalised or a function word, ending in a full stop. (A
    heading has no full stop and names a chapter instead; a sentence has a verb in lower case.)"""
    words = text.split()
    if not 2 <= len(words) <= 6 or not text.endswith(".") or text[:1] in _OPENING_QUOTE:
        return False
    return all(w[:1].isupper() or w.lower().strip(".,") in _TITLE_SMALL_WORDS for w in words) and sum(w[:1].isupper() for w in words) >= 2


def is_prose(text: str) -> bool:
    """False for index and table-of-contents blocks: mostly page numbers, few words; and for
    a block without a letter or a full stop (a title page's "1859–1930", a chart's axis; a
    letter's dateline "1823." stays)."""
    if not re.search(r"[^\W\d_]", text) and not _SENTENCE_END.search(text):
        return False
    tokens = text.split()
    numbers = sum(1 for t in tokens if re.fullmatch(r"\W*\d[\d\-\u2013,;.]*\W*", t))
    return numbers < 3 or numbers < 0.2 * len(tokens)


def with_offsets(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Give each paragraph its place in the repaired text (paragraphs joined by a blank line)."""
    result, offset = [], 0
    for p in paragraphs:
        result.append(replace(p, start=offset, end=offset + len(p.text)))
        offset += len(p.text) + len(PARAGRAPH_BREAK)
    return result


def repaired_text(paragraphs: list[Paragraph]) -> str:
    """The text that passage offsets point into."""
    return PARAGRAPH_BREAK.join(p.text for p in paragraphs)
