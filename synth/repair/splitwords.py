"""Words split by letter spacing: "tr uth", "deat h", "Heat- Ray".

pypdf puts a space where a PDF moves the pen further than a kerning step between two letters,
and publishers' PDFs do that inside words. Which adjacent fragments are one word is decided
from the book's own vocabulary, as the hyphenation repair decides: two fragments are a split
word when the book uses their concatenation elsewhere as a word of its own, while one of the
fragments is never a word of its own (it only ever appears in such splits). A one-letter word
joins a short fragment that never is one ("a nd"); a line-end hyphen left inside a line joins
its word ("an- other"). Never joined: a capital after a space ("White House"), two everyday words
("may be", "in to"), or two words the text also uses apart. Tabs inside words (e-books) read as
spaces before this step (clean.page_lines), so "a\tnd" is repaired here too.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

from voicetune.words import COMMON

_ADDRESS = re.compile(r"\S*(?:://|www\.|@|\.(?:com|org|gov|net|edu|uk|io)\b)\S*", re.IGNORECASE)  # URLs, e-mail addresses, domains
OFTEN = 10  # uses of a short word that a one-letter word and a fragment may be joined into
ENDINGS = set("ing ings ed er ers est ly ness ment ments tion tions sion sions ture tures ous ously ity ful fully less able ible ally ance ence ive ist ists ism".split())


def vocabulary(text: str) -> Counter[str]:
    """How often the text uses each word, lower case; hyphenated compounds also whole ("heat-ray").
    The halves of a word hyphenated at a line end ("em-" / "phasis") are not words of their own,
    and addresses are not words at all ("whitehouse.gov" would make "White House" a split word)."""
    text = _ADDRESS.sub(" ", re.sub(r"[^\W\d_]+-\n[^\W\d_]*", " ", text))
    words: Counter[str] = Counter(w.lower() for w in re.findall(r"[^\W\d_]+", text))
    words.update(w.lower() for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)+", text))
    return words


def suspects(text: str, vocab: Counter[str] | None = None, *, strict: bool = True) -> Counter[tuple[str, str]]:
    """(fragment, fragment) pairs that are one word split in two, with how often each occurs.

    strict=False counts every pair whose concatenation the book uses while one fragment is not
    a word of its own (a measure for comparing extractions: it includes "a loud" -> "aloud");
    strict=True only the pairs that `join` joins."""
    vocab = vocab if vocab is not None else vocabulary(text)
    pairs: Counter[tuple[str, str]] = Counter()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        pairs.update(_overlapping_pairs(line))
        cross = _cross_pair(line, lines[i + 1]) if i + 1 < len(lines) else None
        if cross:
            pairs[cross[:2]] += 1
    in_pairs: Counter[str] = Counter()  # how often a fragment occurs in a pair that joins to a word
    for (a, b), n in pairs.items():
        if vocab[(a + b).lower()]:
            in_pairs[a.lower()] += n
            in_pairs[b.lower()] += n
    found: Counter[tuple[str, str]] = Counter()
    for (a, b), n in pairs.items():
        if _is_split(a, b, vocab, in_pairs) if strict else _is_suspect(a, b, vocab, in_pairs):
            found[(a, b)] = n
    return found


def _overlapping_pairs(line: str) -> list[tuple[str, str]]:
    result = []
    for left, right in pairwise(re.finditer(r"\S+", line)):  # not a list: a book on one line has millions
        a = re.fullmatch(r"[\"'(\u201c\u2018]*([^\W\d_]+-?)", left.group())
        b = re.fullmatch(r"([^\W\d_]+)[.,;:!?\"')\u201d\u2019]*", right.group())
        if a and b and right.start() == left.end() + 1:
            result.append((a.group(1), b.group(1)))
    return result


def _cross_pair(line: str, following: str) -> tuple[str, str, str] | None:
    """(fragment, fragment, the next line's first token) for a line that ends in a bare word and
    a next line that starts with one: "a mix" / "ture of" (a break where the hyphen was lost).
    A line ending in a hyphen is hyphenation, which clean.join_words repairs."""
    left = re.search(r"(?:^|\s)[\"'(\u201c\u2018]*([^\W\d_]+)$", line)
    right = re.match(r"([^\W\d_]+)[.,;:!?\"')\u201d\u2019]*(?=\s|$)", following)
    return (left.group(1), right.group(1), right.group(0)) if left and right else None


def _is_suspect(a: str, b: str, vocab: Counter[str], in_pairs: Counter[str]) -> bool:
    if a.endswith("-"):
        return bool(vocab[f"{a[:-1]}-{b}".lower()] or (b.islower() and vocab[(a[:-1] + b).lower()]))
    if _two_words(a, b):
        return False
    return bool(vocab[(a + b).lower()]) and any(vocab[f.lower()] <= in_pairs[f.lower()] for f in (a, b))


def _two_words(a: str, b: str) -> bool:
    """A capital starts a word of its own ("White House", "Van Dyke"; not "S IR", all in capitals),
    and two everyday words are two words however rarely a short text uses them ("may be", "in to")."""
    return (b[:1].isupper() and not a.isupper()) or (a.lower() in COMMON and b.lower() in COMMON)


def _is_split(a: str, b: str, vocab: Counter[str], in_pairs: Counter[str]) -> bool:
    """Both fragments never words of their own ("deat h", "tr uth"); a fragment that is never a
    word before a word ("fat her"); or a word of two letters or more and an ending or a fragment of
    five letters or more ("vigorous ly", "his torical"). "a loud" stays two words ("aloud" is a
    word, but so are "a" and "loud"), and a capital starts a new word ("Van Dyke")."""
    if a.endswith("-"):  # "Heat- Ray", "an- other": a line-end hyphen left inside a line
        return _is_suspect(a, b, vocab, in_pairs) and a[:1].isupper() == b[:1].isupper()
    if not vocab[(a + b).lower()] or _two_words(a, b) or (a.isupper() and b.isupper() and min(len(a), len(b)) > 2):
        return False
    word_a, word_b = (vocab[f.lower()] > in_pairs[f.lower()] for f in (a, b))
    if word_a and word_b:
        return False
    if word_b:  # "fat her": a fragment that is never a word, then a word
        return len(a) > 1
    if word_a and len(a) == 1:  # "a nd", "o f" into a word the text uses often; never "a loud", "a head"
        return len(b) <= 3 and b.islower() and vocab[(a + b).lower()] >= OFTEN  # "a pt" (a lost "pâté") is not "apt"
    if word_a:  # "vigorous ly", "his torical"
        return len(b) <= 2 or b.lower() in ENDINGS or len(b) >= 5
    return True


def _joined(a: str, b: str, vocab: Counter[str]) -> str:
    """The word two fragments make: "Heat-" + "Ray" keeps its hyphen where the book writes
    "heat-ray"; "an-" + "other" loses it where the book writes "another"."""
    if a.endswith("-") and not vocab[f"{a[:-1]}-{b}".lower()]:
        return a[:-1] + b
    return a + b


def join(text: str, vocab: Counter[str] | None = None) -> str:
    """Text with the split words inside its lines joined (the same rule as `suspects`). A word
    split across a line break is joined where lines are joined into paragraphs
    (clean.join_words, given `suspects`)."""
    vocab = vocab if vocab is not None else vocabulary(text)
    found = suspects(text, vocab)
    if not found:
        return text

    def repair(line: str) -> str:
        for a, b in _overlapping_pairs(line):
            if (a, b) in found:
                line = re.sub(rf"(?<![\w-]){re.escape(a)} {re.escape(b)}(?!\w)", _joined(a, b, vocab), line, count=1)
        return line

    return "\n".join(repair(line) for line in text.split("\n"))
