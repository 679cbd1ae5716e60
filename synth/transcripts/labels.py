"""Speaker labels in plain-text transcripts, as people write them.

    **Ada Host:** text      Ada Host: text      MS. PSAKI:  text      THE PRESIDENT: text
    MR. SMITH.  text        Q  text   Q. text   A: text               Name<TAB>text

A label is only a label if the transcript is consistent about it: it is in bold, or the same
name labels two or more turns (a paragraph of prose that happens to start "So I said: ..."
labels one). A bare `A` (no colon, no period) answers only where bare `Q`s ask: otherwise it
is the article that starts a sentence. YAML front matter, timestamps and time lines
("1:20 P.M. EDT") are nobody's words.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

CLOCK = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
TIMESTAMP = re.compile(rf"\\?[\[(]\s*(?P<time>{CLOCK})\s*\\?[\])]")
LEADING_TIME = re.compile(rf"^(?:\\?[\[(]\s*(?P<time>{CLOCK})\s*\\?[\])]|(?P<bare>{CLOCK}))\s+")  # "[01:20] " or "00:01:20 "
# "1:20 P.M. EDT", "END 2:15 p.m.", "[00:12:01]": a line that only says when
TIME_LINE = re.compile(
    rf"^(?:END\s+)?(?:\\?[\[(]\s*{CLOCK}\s*\\?[\])]|\d{{1,2}}(?::\d{{2}}){{1,2}}\s*(?:[AaPp]\.?\s?[Mm]\.?)?(?:\s+[A-Z]{{2,5}})?)\.?$"
)
FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
HONORIFIC = r"(?:MR|MRS|MS|MX|DR|PROF|REV|SEN|REP|GOV|GEN|ADM|CAPT|COL|LT|SGT|HON|AMB)\."

_BOLD = re.compile(r"^(?P<open>\*\*|__)(?P<name>[^\W\d_][^*_:\n]{0,60}?)\s*(?::(?P=open)|(?P=open)\s*:)(?P<rest>\s.*|$)", re.DOTALL)
_QA = re.compile(r"^(?P<name>[QA])(?P<mark>[.:]?)(?![ \t]*[A-Z]\.)(?:(?:[ \t]+|(?<=[.:])\s*(?:--|\u2014)\s*)(?P<rest>\S.*)|$)", re.DOTALL)  # "Q. Where", "Q.--\"Where"; not "A. C. HORTON."
_CAPS = re.compile(
    rf"^(?P<name>(?:{HONORIFIC}\s+)?[A-Z][A-Z'\u2019-]+(?:\s+[A-Z][A-Z'\u2019-]*){{0,3}})\s*(?P<mark>[:.])(?P<rest>\s.*|$)", re.DOTALL
)
# "Mr. McCONNELL.", "Ms. LANDRIEU.", "Mr. NELSON of Nebraska.", "The PRESIDING OFFICER (Mr. Graham)." (the Congressional Record, Hansard)
_HONOURED = re.compile(
    r"^(?P<name>(?:Mr|Mrs|Ms|Miss|Mx|Dr|Madam|Sir|Dame|Lord|Lady|Senator|Rep|Sen|The)\.?\s+(?:Mc|Mac|De|Di|Du|La|Le|Van|Von|O')?[A-Z][A-Z'\u2019-]+"
    r"(?:\s+(?:Mc|Mac|De)?[A-Z][A-Z'\u2019-]+){0,3}(?:\s+of\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)?)(?:\s+\([^()\n]{1,40}\))?\s*(?P<mark>[:.])(?P<rest>\s.*|$)",
    re.DOTALL,
)
_COLON = re.compile(r"^(?P<name>[A-Z][\w.'\u2019-]*(?: [\w.'\u2019-]+){0,3}?)\s*:(?P<rest>\s.*|$)", re.DOTALL)
_TIMED = re.compile(rf"^(?P<name>[A-Z][\w.'\u2019-]*(?: [\w.'\u2019-]+){{0,3}}?)\s*\\?[\[(]\s*{CLOCK}\s*\\?[\])]\s*:(?P<rest>\s.*|$)", re.DOTALL)
# a line that is only a name with a time and/or a colon ("Jessica Lachs  0:05", "Tim Host:"): dialogue, whether or not read as turns
_ALONE = re.compile(rf"^(?P<name>[A-Z][\w.'\u2019-]*(?: [\w.'\u2019-]+){{0,3}}?)\s*(?:(?:\\?[\[(]\s*{CLOCK}\s*\\?[\])]|{CLOCK})\s*:?|:)$")
_TAB = re.compile(r"^(?P<name>[A-Z][\w.'\u2019-]*(?: [\w.'\u2019-]+){0,3})\t+(?P<rest>\S.*)", re.DOTALL)
_NOT_NAMES = {"OK", "NO", "YES", "SO", "WELL", "NOTE", "END", "PS", "RE", "TO", "FROM", "SUBJECT", "DATE", "TITLE", "URL", "HTTP", "HTTPS"}


@dataclass(frozen=True)
class Label:
    name: str  # the speaker, as the transcript writes it ("MS. PSAKI", "Q")
    rest: str  # the text after the label
    kind: str  # "bold", "qa", "bare-a", "caps", "honoured", "timed", "colon", "tab"


def find(line: str) -> Label | None:
    """The label that starts `line`, if it has the shape of one (whether it is one is for
    `speakers` to say, from the whole transcript)."""
    line = re.sub(r"^>>\s*", "", line)
    if m := _BOLD.match(line):
        return Label(m.group("name").strip(), m.group("rest"), "bold")
    if m := _QA.match(line):
        kind = "qa" if m.group("mark") or m.group("name") == "Q" else "bare-a"
        return Label(m.group("name"), m.group("rest") or "", kind)
    if (m := _CAPS.match(line)) and m.group("name").split()[-1].rstrip(".") not in _NOT_NAMES:
        return Label(" ".join(m.group("name").split()), m.group("rest"), "caps")
    if m := _HONOURED.match(line):
        return Label(" ".join(m.group("name").split()), m.group("rest"), "honoured")
    if m := _TIMED.match(line):  # "Jessica Lachs (00:00:05):", the time is the transcript's, not speech
        return Label(m.group("name"), m.group("rest"), "timed")
    if (m := _COLON.match(line)) and m.group("name").upper() not in _NOT_NAMES:
        return Label(m.group("name"), m.group("rest"), "colon")
    if m := _TAB.match(line):
        return Label(m.group("name"), m.group("rest"), "tab")
    return None


def dialogue_labels(text: str) -> Counter:
    """How often each name starts a line as a label would (`Name:`, `NAME.`, `Name (00:00:05):`,
    or a name and a time alone on a line): what a person sees as dialogue, read as turns or not."""
    found: Counter = Counter()
    for raw in strip_front_matter(text).splitlines():
        line = raw.strip()
        if m := _ALONE.match(line):
            found[m.group("name")] += 1
        elif (label := find(lead_time(line)[1])) and label.kind != "bare-a":
            found[label.name] += 1
    return found


def strip_front_matter(text: str) -> str:
    """Text without a leading YAML block (--- ... ---): a title and a date, not speech."""
    return FRONT_MATTER.sub("", text, count=1)


def guests(text: str) -> tuple[str, ...]:
    """The names a YAML front matter gives under `guest:`, `guests:` or `speaker:` (one name, an
    inline [list] or a block list of `- name` lines): whom the file says it is about."""
    block = FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not block:
        return ()
    names: list[str] = []
    key = None
    for line in block.group(0).splitlines()[1:-1]:
        if m := re.match(r"^(?P<key>[\w-]+)\s*:\s*(?P<value>.*)$", line):
            key, value = m.group("key").lower(), m.group("value").strip()
            if key in {"guest", "guests", "speaker", "speakers"} and value:
                names += value.strip("[]").split(",")
        elif key in {"guest", "guests", "speaker", "speakers"} and (m := re.match(r"^\s*-\s+(.+)$", line)):
            names.append(m.group(1))
    return tuple(n for name in names if (n := name.strip().strip("'\"").strip()))


def lead_time(paragraph: str) -> tuple[str | None, str]:
    """("01:20", rest) for a paragraph that opens with a timestamp, else (None, paragraph)."""
    lead = LEADING_TIME.match(paragraph)
    if not lead:
        return None, paragraph
    return lead.group("time") or lead.group("bare"), paragraph[lead.end() :]


def blocks(text: str) -> list[str]:
    """Paragraphs, and within them each line that starts with a label: transcripts put one
    turn per paragraph or one per line. Time lines are dropped."""
    result: list[str] = []
    for paragraph in re.split(r"\n\s*\n", strip_front_matter(text.replace("\r\n", "\n"))):
        for raw in paragraph.strip().splitlines():
            line = raw.strip()
            if TIME_LINE.match(line):
                continue
            if result and result[-1] and not find(lead_time(line)[1]):
                result[-1] += "\n" + line
            else:
                result.append(line)
        result.append("")  # a blank line always ends a block
    return [b for b in result if b.strip()]


def speakers(paragraphs: list[str]) -> set[str]:
    """Label names that are speakers: in bold, or labelling two or more paragraphs, or an
    honorific and a name in capitals (`Mr. SMITH.`) where two such names are speakers; a bare
    `A` only where bare or dotted `Q`s label two or more."""
    labels = [label for p in paragraphs if (label := find(lead_time(p)[1]))]
    counts = Counter(label.name for label in labels)
    found = {label.name for label in labels if label.kind == "bold" or (counts[label.name] >= 2 and label.kind != "bare-a")}
    # "Mr. CHAMBLISS." speaking once among senators who speak often: the form recurs, as bold does
    if len({label.name for label in labels if label.kind == "honoured" and label.name in found}) >= 2:
        found |= {label.name for label in labels if label.kind == "honoured"}
    if "Q" in found and counts["A"] >= 2:
        found.add("A")
    return found
