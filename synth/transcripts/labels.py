"""Speaker labels in plain-text transcripts, as people write them: one grammar, a name or code
at a line's start, then a mark or a time, with the words inline or on the lines below.

    **Ada Host:** text      Ada Host: text      MS. PSAKI:  text      THE PRESIDENT: text
    MR. SMITH.  text        LILY.  (alone)      Q  text   Q. text   A: text   Q.--text
    Name<TAB>text           NAME -- text        SPEAKER 1: text       JIMMIE, MRS. UPJOHN, AND ROPER.
    Interviewer - text      Ada Host – text
    [00:01:11] NAME: text   NAME [00:05]        00:00:05 Name         Jessica Lachs (00:00:05):
    Name  0:05              >> NAME: text       (00:01:11): text  (no name: the same speaker goes on)
    [00:00:05.12] - Name    ADA HOST (alone, text below)

A label is only a label if the transcript is consistent about it: it is in bold, or the same
name labels two or more turns (a paragraph of prose that happens to start "So I said: ..."
labels one) in a shape the file keeps to; a name used once counts where the file's speakers
stand the same way (a play's one `THE LADIES.`). A bare `A` (no colon, no period) answers only
where bare `Q`s ask: otherwise it is the article that starts a sentence. YAML front matter,
timestamps, time lines ("1:20 P.M. EDT") and a transcriber's fields ("_page : 148") are
nobody's words.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

CLOCK = r"-?(?:\d{1,2}:){1,3}\d{2}(?:[.,]\d{1,3})?"  # 1:20, 00:01:20.5, and a mission's day:hh:mm:ss
_BRACKETED = rf"\\?[\[(]\s*{CLOCK}\s*\\?[\])]"
TIMESTAMP = re.compile(rf"\\?[\[(]\s*(?P<time>{CLOCK})\s*\\?[\])]")
# "[01:20] ", "00:01:20 ", "(00:01:11): " before the words: a time, and the turn goes on unless a name follows
LEADING_TIME = re.compile(rf"^(?:\\?[\[(]\s*(?P<time>{CLOCK})\s*\\?[\])]|(?P<bare>{CLOCK}))(?:[ \t]*(?::|-(?=\s)|[\u2013\u2014]))?(?:\s+|$)")  # "[00:00:05.12] - Ada Host"
# "1:20 P.M. EDT", "END 2:15 p.m.", "[00:12:01]", "(00:01:11):": a line that only says when
TIME_LINE = re.compile(
    rf"^(?:END\s+)?(?:{_BRACKETED}|-?\d{{1,2}}(?::\d{{2}}){{1,3}}\s*(?:[AaPp]\.?\s?[Mm]\.?)?(?:\s+[A-Z]{{2,5}})?)[.:]?$"
)
# "_page : 148", "_tape :", "Page 12", "Side B": the transcriber's bookkeeping between turns
FIELD_LINE = re.compile(r"^_[a-z_]+\s*:.*$|^(?:page|tape|reel|side)\s*:?\s*[\w.]{0,6}$", re.IGNORECASE)
FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
HONORIFIC = r"(?:MR|MRS|MS|MX|DR|PROF|REV|SEN|REP|GOV|GEN|ADM|CAPT|COL|LT|SGT|HON|AMB)\."
_DASH = r"(?:--|[\u2013\u2014])"  # Q.--, NAME -- text, Name\u2014text

UP = "A-Z\u00c0-\u00d6\u00d8-\u00de"  # capitals, Latin-1's too ("\u00c9mile Zola:", "JOS\u00c9:")
_BOLD = re.compile(r"^(?P<open>\*\*|__)(?P<name>[^\W\d_][^*_:\n]{0,60}?)\s*(?::(?P=open)|(?P=open)\s*:)(?P<rest>\s.*|$)", re.DOTALL)
_QA = re.compile(rf"^(?P<name>[QA])(?P<mark>[.:]?[ \t]*{_DASH}|[.:])?(?![ \t]*[A-Z]\.)(?P<gap>[ \t]*)(?P<rest>.*)", re.DOTALL)  # "Q. Where", "Q.--\"Where"; not "A. C. HORTON."
_CAPS = re.compile(
    rf"^(?P<name>(?:{HONORIFIC}\s+)?[{UP}][{UP}'\u2019-]*[{UP}'\u2019](?:,?\s+(?:{HONORIFIC}\s+)?[{UP}](?:[{UP}'\u2019-]*[{UP}'\u2019])?){{0,5}})\s*(?:(?P<mark>[:.])(?P<rest>\s.*|$)|[:.]?[ \t]*{_DASH}\s*(?P<after>.*))",
    re.DOTALL,
)
# "Mr. McCONNELL.", "Ms. LANDRIEU.", "Mr. NELSON of Nebraska.", "The PRESIDING OFFICER (Mr. Graham)." (the Congressional Record, Hansard)
_HONOURED = re.compile(
    r"^(?P<name>(?:Mr|Mrs|Ms|Miss|Mx|Dr|Madam|Sir|Dame|Lord|Lady|Senator|Rep|Sen|The)\.?\s+(?:Mc|Mac|De|Di|Du|La|Le|Van|Von|O')?[A-Z][A-Z'\u2019-]+"
    r"(?:\s+(?:Mc|Mac|De)?[A-Z][A-Z'\u2019-]+){0,3}(?:\s+of\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)?)(?:\s+\([^()\n]{1,40}\))?\s*(?P<mark>[:.])(?P<rest>\s.*|$)",
    re.DOTALL,
)
# "Name: text", and with a parliament's qualifiers: "Mr Peter Bone (Wellingborough) (Con):", "The Prime Minister (Boris Johnson):"
_QUALIFIER = r"(?:\s+\((?!\s*-?\d{1,2}:)[^()\n]{1,60}\)){0,2}"  # not a time: "Name (00:00:05):" is _TIMED's
_COLON = re.compile(rf"^(?P<name>[{UP}][\w.'\u2019-]*(?: [\w.'\u2019-]+){{0,3}}?){_QUALIFIER}\s*:(?P<rest>\s.*|$)", re.DOTALL)
_CAPITALISED = rf"[{UP}][\w.'\u2019-]*(?: [{UP}][\w.'\u2019-]*){{0,3}}"  # every word capitalised: "Ada Host", "Dr. Ben Guest"
# "Ada Host:--text", "Ada Host.--text": a dash after a mark (a bare "Oh--" is speech breaking off)
# and "Interviewer - text", "Ada Host – text": a hyphen or dash with a space each side
_DASHED = re.compile(rf"^(?P<name>{_CAPITALISED})(?:[.:][ \t]*{_DASH}[ \t]*|[ \t]+(?:-|{_DASH})[ \t]+)(?P<rest>.*)", re.DOTALL)
# "Jessica Lachs (00:00:05):", "ADA HOST [00:05]", "Ada Host  0:05": a name, then the time the turn starts
_TIMED = re.compile(
    rf"^(?P<name>[{UP}][\w.'\u2019-]*(?: [\w.'\u2019-]+){{0,3}}?)\s*(?:{_BRACKETED}|(?<=\s){CLOCK})[ \t]*(?::(?P<rest>\s.*|$)|(?P<below>\n.*|$))", re.DOTALL
)
# "ADA HOST" alone on its line, the words on the next: a name in capitals with no mark at all (not a book's
# "CHAPTER IV"); alone with nothing below, it is a title ("END OF TAPE ONE")
_CAPS_ALONE = re.compile(rf"^(?P<name>(?:{HONORIFIC} )?[{UP}][{UP}'\u2019-]*[{UP}](?: [{UP}][{UP}'\u2019-]*){{0,3}})[ \t]*(?P<below>\n[ \t]*\S.*)", re.DOTALL)
_DIVISIONS = {"CHAPTER", "PART", "BOOK", "ACT", "SCENE", "SECTION", "VOLUME", "CONTENTS", "PREFACE", "INTRODUCTION", "PROLOGUE",
              "EPILOGUE", "APPENDIX", "INDEX", "NOTES", "FOREWORD", "AFTERWORD", "ACKNOWLEDGMENTS", "ACKNOWLEDGEMENTS", "THE END", "FINIS", "LETTER", "STAVE"}
_LONE_NAME = re.compile(rf"^(?P<name>{_CAPITALISED})(?<![.,!?])$")  # after a time: "00:00:05 Ada Host", the words below
_TAB = re.compile(rf"^(?P<name>[{UP}][\w.'\u2019-]*(?: [\w.'\u2019-]+){{0,3}})\t+(?P<rest>\S.*)", re.DOTALL)
_NOT_NAMES = {"OK", "OKAY", "NO", "YES", "SO", "WELL", "NOTE", "END", "PS", "RE", "TO", "FROM", "SUBJECT", "DATE", "TITLE", "URL", "HTTP", "HTTPS", "BUT", "AND", "OH",
              "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY", "TODAY", "TONIGHT", "YESTERDAY", "TOMORROW"}  # a diary's "Monday - we sailed"


@dataclass(frozen=True)
class Label:
    name: str  # the speaker, as the transcript writes it ("MS. PSAKI", "Q")
    rest: str  # the text after the label
    kind: str  # "bold", "qa", "bare-a", "caps", "honoured", "timed", "caps-alone", "dash", "colon", "tab", "chevron"


def find(line: str) -> Label | None:
    """The label that starts `line`, if it has the shape of one (whether it is one is for
    `speakers` to say, from the whole transcript). A time before it is the transcript's; a name
    alone after a time labels the lines below; `>>` with no name is a speaker nobody named."""
    chevron = re.match(r">>\s*", line)
    line = line[chevron.end() :] if chevron else line
    time, body = lead_time(line)
    if label := _named(body):
        return label
    first = body.split("\n", 1)[0]
    if time and (m := _LONE_NAME.match(first.rstrip())) and not _not_a_name(m.group("name")):
        return Label(m.group("name"), body[len(first) :], "timed")
    return Label("", body, "chevron") if chevron else None


def _named(line: str) -> Label | None:
    if m := _BOLD.match(line):
        return Label(m.group("name").strip(), m.group("rest"), "bold")
    if (m := _QA.match(line)) and (m.group("gap") or not m.group("rest") or re.search(_DASH, m.group("mark") or "")):
        kind = "qa" if m.group("mark") or m.group("name") == "Q" else "bare-a"
        return Label(m.group("name"), m.group("rest"), kind)
    if (m := _CAPS.match(line)) and not _not_a_name(m.group("name")):
        rest = m.group("rest") if m.group("mark") else m.group("after")
        return Label(" ".join(m.group("name").split()), rest, "caps")
    if m := _HONOURED.match(line):
        return Label(" ".join(m.group("name").split()), m.group("rest"), "honoured")
    if (m := _TIMED.match(line)) and not _not_a_name(m.group("name")):  # "Jessica Lachs (00:00:05):": the time is not speech
        return Label(m.group("name"), m.group("rest") if m.group("rest") is not None else m.group("below"), "timed")
    if (m := _CAPS_ALONE.match(line)) and not _not_a_name(m.group("name")) and not _division(m.group("name")):
        return Label(m.group("name"), m.group("below"), "caps-alone")
    for pattern, kind in ((_DASHED, "dash"), (_COLON, "colon"), (_TAB, "tab")):
        if (m := pattern.match(line)) and not _not_a_name(m.group("name")):
            return Label(m.group("name"), m.group("rest"), kind)
    return None


def _not_a_name(name: str) -> bool:
    """A word that starts sentences, or a name cut at its honorific ("THE NOTORIOUS MRS. EBBSMITH")."""
    last = name.split()[-1].rstrip(".").upper()
    return last in _NOT_NAMES or re.fullmatch(HONORIFIC, last + ".") is not None


def _division(name: str) -> bool:
    """A book's division or a numeral, not a speaker: "CHAPTER IV", "PART TWO", "CONTENTS", "XII"."""
    return name in _DIVISIONS or name.split()[0] in _DIVISIONS or re.fullmatch(r"[IVXLC]+", name) is not None


def dialogue_labels(text: str) -> Counter:
    """How often each name starts a line as a label would (`Name:`, `NAME.`, `Name (00:00:05):`,
    or a name and a time alone on a line): what a person sees as dialogue, read as turns or not."""
    found: Counter = Counter()
    for raw in strip_front_matter(text).splitlines():
        if (label := find(raw.strip())) and label.name and label.kind != "bare-a":
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
    turn per paragraph or one per line. A line indented deeper than an unfinished one before it goes on
    with it ("CT: ... transmitting on\n     HF UHF. Do you read?"). Time lines and the
    transcriber's fields are dropped."""
    result: list[str] = []
    for paragraph in re.split(r"\n\s*\n", strip_front_matter(text.replace("\r\n", "\n"))):
        indent = 0
        lines = paragraph.strip("\n").splitlines()
        for k, raw in enumerate(lines):
            line, deeper = raw.strip(), len(raw) - len(raw.lstrip()) > indent
            indent = len(raw) - len(raw.lstrip())
            if TIME_LINE.match(line) or FIELD_LINE.match(line):
                continue
            unfinished = deeper and not re.search(r"[.!?][\"')\]\u201d]*$", result[-1] if result else "")  # "...ordered to be printed.)\n Mr. ROCKEFELLER." starts a turn
            labelled = find(line) or (k + 1 < len(lines) and lines[k + 1].strip() and find(f"{line}\n{lines[k + 1].strip()}"))
            if result and result[-1] and (unfinished or not labelled):
                result[-1] += "\n" + line
            else:
                result.append(line)
        result.append("")  # a blank line always ends a block
    return [b for b in result if b.strip()]


def speakers(paragraphs: list[str]) -> set[str]:
    """Label names that are speakers: in bold, or labelling two or more paragraphs in a shape the
    file uses for at least a twentieth of its recurring labels, or two or more after the dialogue
    begins (a play's title page's two "London: William Heinemann" before 1,500 `NAME.` lines are
    not a speaker; a moderator's two `Moderator:` among 60 `Q.`/`SMITH.` turns is). A name used
    once counts where it stands alone on its line or is in capitals, shaped as two or more
    recurring speakers are (a play's `THE LADIES.`, a flight log's one `G:`). A bare `A` only
    where bare or dotted `Q`s label two or more; there, a name in capitals after an honorific or
    "THE" speaks once too (a deposition's `MR. BRANDT: Objection.`, `THE WITNESS:`); `>>` with no name is a speaker, nobody's
    persona, where others are named."""
    found_labels = [label for p in paragraphs if (label := find(p))]
    counts = Counter(label.name for label in found_labels)
    named = [label for label in found_labels if label.name and label.kind != "bare-a"]
    recurring = [label for label in named if counts[label.name] >= 2]
    shapes = Counter(_shape(label) for label in recurring)
    common = {shape for shape, n in shapes.items() if n >= 0.05 * len(recurring)}
    begins = next((k for k, label in enumerate(named) if counts[label.name] >= 2 and _shape(label) in common), len(named))
    within = Counter(label.name for label in named[begins:])  # a rare shape counts inside the dialogue, not in a title page before it
    found = {label.name for label in named if label.kind == "bold"} | {
        label.name for label in recurring if _shape(label) in common or within[label.name] >= 2
    }
    speakers_by_shape = Counter(shape for _, shape in {(label.name, _shape(label)) for label in recurring if _shape(label) in common})
    found |= {label.name for label in named if (_shape(label)[1] or label.name.isupper()) and speakers_by_shape[_shape(label)] >= 2}
    # "Mr Bone: Will the ...", said once where speakers' labels are `Name: text`: a full name, every word capitalised,
    # is a speaker too (prose that happens to start "Here is the thing: ..." is not)
    colon = {label.name for label in named if label.kind == "colon" and label.name in found}
    found |= {label.name for label in named if colon and label.kind == "colon" and re.fullmatch(_CAPITALISED, label.name) and " " in label.name}
    # "Mr. CHAMBLISS." speaking once among senators who speak often: the form recurs, as bold does
    if len({label.name for label in named if label.kind == "honoured" and label.name in found}) >= 2:
        found |= {label.name for label in named if label.kind == "honoured"}
    if "Q" in found and counts["A"] >= 2:
        found.add("A")
        # a deposition's colloquy between the Q and A lines: "MR. BRANDT: Objection, form.", "THE WITNESS: Yes."
        found |= {label.name for label in named if label.kind == "caps" and re.match(rf"(?:{HONORIFIC}|THE)\s", label.name)}
    if "" in counts and found:
        found.add("")
    return found


def _shape(label: Label) -> tuple[str, bool]:
    """How a label is written: its kind, and whether it stands alone on its line."""
    return label.kind, not label.rest.split("\n", 1)[0].strip()
