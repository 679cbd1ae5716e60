"""An HTML transcript's text as a person sees it, for the same label reader as plain text.

A web page says who speaks in many ways: `<p><strong>Name</strong>: text</p>`, `<cite>Name:</cite>`
on a line above the text, `<em>Q.</em>--"..."`, `<dt>Name</dt><dd>text</dd>`, `<span
class="speaker">Name</span> text`, a table row of a speaker cell and a text cell, or a `<pre>`
page of hard-wrapped lines with `  Mr. SMITH.` two spaces in. Each is laid out here as the
eye reads it, so that `labels` finds the speakers by the same rule as in a .txt file:

- block elements end a paragraph; a line break in the source (or <br>) ends a line within it,
  so a turn whose <p> was never closed still starts its own line; headings become `# Heading`
- paragraphs all in bold that ask, each with a plain one below, are a magazine's Q&A: `Q:` and
  `A:` turns (nobody is named; `--persona` then takes the answers)
- a short block all in bold is a speaker's name where it recurs (`<p><b>ADA HOST</b></p>` ->
  `ADA HOST:`), and a title where it stands once in capitals (`END OF TAPE`)
- a note in brackets and italics (`<em>[pause]</em>`, `<i>[Norwood laughs]</i>`) is the
  transcriber's, and a note's number (`<sup>1</sup>`) no one's: both are left out
- a `<time>`, or an element whose class says it is a timestamp, stands on a line of its own,
  where the label reader drops it as a time line
- a definition term, and an element whose class names a speaker, end in a colon: they label
  what follows; a table row is its cells joined by tabs (`Name<TAB>text`)
- page furniture never becomes a turn: <head>, scripts, styles, navigation, headers, footers,
  asides and forms are dropped, and so are elements whose role, class or id says they are
  chrome or credits (`class="sidebar"`, `id="attribution"`)
- <pre> keeps its lines; page markers (`[[Page S8511]]`, `[Page 12]`) are removed with the
  blank lines around them, so the sentence they cut joins up again; and where the page's
  labels stand indented and its wrapped lines left of them, a line indented to the labels'
  margin starts a paragraph, and a paragraph indented past it (a bill read by the clerk, a
  letter read into the record, a vote's roll, a centred title) is quoted text, nobody's turn
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

from synth.sources.markup import HEADINGS, SKIPPED, VOID
from synth.transcripts import labels

SUFFIXES = {".html", ".htm", ".xhtml"}
_BLOCKS = {
    "p", "div", "section", "article", "main", "body", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "table", "tr", "pre",
    "figure", "figcaption", "hr", "address", "center", "details", "summary", "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
_BOLD = {"b", "strong"}
_FURNITURE = SKIPPED | {"header", "footer", "aside", "form", "button", "select"}  # a web page's chrome besides what a book skips
_CHROME = set(
    "nav navbar navigation menu breadcrumb breadcrumbs sidebar footer header banner cookie cookies share sharing social subscribe"
    " comments advert advertisement ads ad promo newsletter related attribution credits copyright license licence colophon".split()
)
_CONTAINERS = {"html", "body", "main", "article"}  # "has-sidebar" on the page's body says nothing about the body
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "toolbar"}
_TIME_CLASS = re.compile(r"\b(?:time|timestamp|timecode|time-?stamp|start-?time)\b", re.I)
_SPEAKER_CLASS = re.compile(r"\b(?:speaker|speaker[-_]?name|interlocutor|voice)\b", re.I)
PAGE_MARKER = re.compile(r"\[\[?\s*(?:Page|p\.)\s*[A-Z]?\d+\s*\]\]?", re.I)  # "[[Page S8511]]", "[Page 12]", "[p. 7]"


class _Layout(HTMLParser):
    """Paragraphs of lines, as a browser would show them (see the module's docstring)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.bold_blocks: set[int] = set()  # which paragraphs are all in bold, or headings
        self.current: list[str] = []
        # open elements: (tag, what closing it does: "skip", "label", "marker", "aside", "line" or "", where its text starts)
        self.stack: list[tuple[str, str, int]] = []
        self.skip = self.pre = self.row = self.bold = 0
        self.heading = False
        self.plain = False  # the block holds text outside bold
        self.link = 0
        self.unlinked = False  # the block holds text outside links

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag in VOID:
            if tag == "br" and not self.skip:
                self.current.append("\n")
            elif tag == "hr" and not self.skip:
                self.flush()
            return
        chrome = _chrome(tag, attrs)
        labelled = tag == "dt" or _SPEAKER_CLASS.search(f"{attrs.get('class', '')} {attrs.get('itemprop', '')}")
        marker = tag == "sup" or tag == "a" and attrs.get("href", "").startswith("#")  # a note's number, if that is all it holds
        aside = tag in {"i", "em"}  # "<em>[pause]</em>": the transcriber's note, if that is all it holds
        timed = tag == "time" or _TIME_CLASS.search(attrs.get("class", ""))  # a time on a line of its own: the transcript's, not speech
        does = "skip" if chrome else "label" if labelled else "marker" if marker else "aside" if aside else "line" if timed else ""
        self.stack.append((tag, does, len(self.current)))
        self.skip += bool(chrome)
        if self.skip:
            return
        if tag in _BLOCKS:
            self.flush()
            self.heading = tag in HEADINGS
        self.pre += tag == "pre"
        self.row += tag == "tr"
        self.bold += tag in _BOLD
        self.link += tag == "a"
        if does == "line":
            self.current.append("\n")
        if tag in {"td", "th"} and "".join(self.current).strip():
            self.current.append("\t")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID or tag not in (open_tag for open_tag, _, _ in self.stack):
            return  # a stray end tag: browsers ignore it
        while self.stack:  # end tags left out inside this one (<p> never closed) close with it
            open_tag, does, start = self.stack.pop()
            self._close(open_tag, does, start)
            if open_tag == tag:
                break

    def _close(self, tag, does, start=0):
        if does == "skip":
            self.skip -= 1
            return
        if self.skip:
            return
        if does == "line":
            self.current.append("\n")
        if does == "label" and not "".join(self.current).rstrip().endswith((":", ".")):
            self.current.append(":")
        if does == "marker" and re.fullmatch(r"\s*\[?[\d*\u2020\u2021\u00a7]{1,3}\]?\s*", "".join(self.current[start:])):
            del self.current[start:]  # "Randolph,<sup>1</sup> and": the note's number is not speech
        if does == "aside" and re.fullmatch(r"\s*\[[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)*\]\s*", "".join(self.current[start:])):
            self.current[start:] = ["\0"]  # where the note was: "I remember <em>[pause]</em>." -> "I remember."
        if tag in _BLOCKS:
            self.flush()
        self.pre -= tag == "pre"
        self.row -= tag == "tr"
        self.bold -= tag in _BOLD
        self.link -= tag == "a"

    def handle_data(self, data):
        if self.skip:
            return
        if not self.pre:
            data = re.sub(r"[ \t\r\f\v]+", " ", data)
            if self.row or self.heading:
                data = data.replace("\n", " ")
        self.plain = self.plain or (not self.bold and bool(data.strip()))
        self.unlinked = self.unlinked or (not self.link and bool(data.strip()))
        self.current.append(data)

    def flush(self):
        text = re.sub(r"[ \t]*\0[ \t]*(?=[,.!?;:])", "", "".join(self.current)).replace("\0", " ")
        if self.pre:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            text = re.sub(r"(?m)^[ \t]+", lambda m: m.group().expandtabs(8), text)  # indentation in spaces; `Name<TAB>text` stays
        else:
            text = "\n".join(line.strip() for line in text.split("\n") if line.strip())
        if not self.unlinked and len(text.split()) < 12 and not labels.find(text.strip()):
            text = ""  # a block of nothing but a few links ("Subscribe on Apple Podcasts", "Next episode"): navigation
        if text.strip():
            if not self.plain or self.heading:
                self.bold_blocks.add(len(self.paragraphs))
            self.paragraphs.append(f"# {' '.join(text.split())}" if self.heading else text.strip("\n"))
        self.current, self.heading, self.plain, self.unlinked = [], False, False, False

    def bold_names(self) -> None:
        """A short block all in bold, or a heading, says who speaks next where it recurs
        (`<p><b>ADA HOST</b></p>` or `<h4>Ada Host</h4>`, then the text): it becomes `ADA HOST:`.
        Bold once, in capitals (`END OF TAPE`), it is a title."""
        blocks = {i: " ".join(self.paragraphs[i].split()).removeprefix("# ") for i in self.bold_blocks}
        if self.bold_questions(blocks):
            return
        counts = Counter(blocks.values())
        for i, text in blocks.items():
            if labels.find(text) or len(text.split()) > 5:
                continue  # a bold label with its text, or a bold sentence: the speaker's emphasis
            if counts[text] >= 2:
                self.paragraphs[i] = f"{text.rstrip('.')}:"
            elif not any(c.islower() for c in text) or self.paragraphs[i].startswith("# "):
                self.paragraphs[i] = f"# {text}"


    def bold_questions(self, blocks: dict[int, str]) -> bool:
        """A magazine's Q&A: the interviewer's questions in bold paragraphs of their own, the
        answers plain below, nobody named. Where two or more bold paragraphs ask (end in "?") and
        each is followed by a plain one, they become `Q:` turns and the first plain paragraph
        after each an `A:` turn (the paragraphs after it go on with it; those before the first
        question, a standfirst or a byline, are no one's). Any other bold paragraph after the first
        question is the interviewer's too ("Thank you, Ruth."), with what follows it up to the next
        answer (a closing credit). Says whether it did."""
        bold = sorted(i for i in blocks if not self.paragraphs[i].startswith("# ") and not labels.find(blocks[i]))
        asking = [i for i in bold if _QUESTION_END.search(blocks[i])]
        answered = [i for i in asking if i + 1 < len(self.paragraphs) and i + 1 not in self.bold_blocks]
        if len(answered) < 2 or len(answered) < 0.8 * len(asking):
            return False
        for i in bold:
            if i >= answered[0]:
                self.paragraphs[i] = f"Q: {blocks[i]}"
        for i in answered:
            self.paragraphs[i + 1] = f"A: {self.paragraphs[i + 1]}"
        return True


_QUESTION_END = re.compile(r"\?[\"'\u201d\u2019)]*$")


def _chrome(tag: str, attrs: dict[str, str]) -> bool:
    """Page furniture: by its tag, its role, or a class or id that ends in a word for chrome
    (`site-footer`, `main-nav`, `cookie-banner`; not `has-sidebar` on the page's body)."""
    if tag in _FURNITURE or attrs.get("role", "").lower() in _CHROME_ROLES:
        return True
    names = f"{attrs.get('class', '')} {attrs.get('id', '')}".lower().split()
    return tag not in _CONTAINERS and any(re.split(r"[-_]", name)[-1] in _CHROME for name in names)


def transcript_text(markup: str) -> str:
    """The page's text, paragraphs separated by blank lines, furniture and page markers left out."""
    parser = _Layout()
    parser.feed(markup)
    parser.close()
    while parser.stack:
        parser._close(*parser.stack.pop())
    parser.flush()
    parser.bold_names()
    return "\n\n".join(unquote_margin(without_page_markers(p)) for p in parser.paragraphs)


def without_page_markers(text: str) -> str:
    """`text` without page markers; one alone on its line goes with the blank lines around it,
    so a sentence the page break cut in two is one paragraph again."""
    text = re.sub(rf"\n[ \t]*\n[ \t]*{PAGE_MARKER.pattern}[ \t]*\n[ \t]*\n", "\n", text, flags=re.I)
    text = re.sub(rf"(?m)^[ \t]*{PAGE_MARKER.pattern}[ \t]*\n", "", text, flags=re.I)
    return PAGE_MARKER.sub("", text)


def unquote_margin(text: str) -> str:
    """`text` (a <pre> block, or any paragraph) without its quoted paragraphs: those indented
    past the margin its labels stand at, where its wrapped lines stand left of that margin.
    There, each line indented to the margin starts a paragraph, as it does on the page."""
    lines = text.split("\n")
    labelled = [bool(line.strip() and labels.find(line.strip())) for line in lines]
    margins = Counter(_indent(line) for line, label in zip(lines, labelled) if label)
    # where a labelled line's text wraps to: the page's text column
    wraps = Counter(_indent(nxt) for line, nxt, label, nxt_label in zip(lines, lines[1:], labelled, labelled[1:]) if label and nxt.strip() and not nxt_label)
    if not margins or not wraps:
        return text
    label_margin = margins.most_common(1)[0][0]
    if wraps.most_common(1)[0][0] >= label_margin:
        return text  # flush or hanging indents: the text column is not left of the labels, so indentation quotes nothing
    kept = [p for p in re.split(r"\n[ \t]*\n", text) if not _quoted(p, label_margin)]
    return re.sub(rf"\n(?= {{{label_margin},}}\S)", "\n\n", "\n\n".join(kept))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _quoted(paragraph: str, margin: int) -> bool:
    lines = [line for line in paragraph.split("\n") if line.strip()]
    return bool(lines) and all(_indent(line) > margin for line in lines)
