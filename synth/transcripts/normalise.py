"""A transcript's text as a person sees it, before speaker labels are looked for.

Web pages and word processors write what looks like a space as a no-break space (a White House
briefing's reporters are `Q` and three U+00A0), end lines in CRLF, start files with a BOM and
put labels in emphasis (`<b>Name:</b>`, `*Name*:`). The label rules are written for what the
eye reads, so each line's label part is made plain here:

- line ends: CRLF, CR, U+2028 -> LF; U+2029 -> a blank line
- a brace after two or more spaces (a play's `JIMMIE.      }` joining speeches said at once) removed
- BOMs (U+FEFF), zero-width spaces (U+200B) and word joiners (U+2060) removed everywhere: invisible
- a line's indentation, and the label and the gap after it, have their Unicode spaces (U+00A0,
  U+2000-U+200A, U+202F, U+205F, U+3000) made ASCII spaces; the words after the label are
  left as they are (tabs too: `Name<TAB>text` is a convention of its own)
- a court or deposition transcript's line numbers (`12   A.  Many times.`: most lines numbered,
  counting 1, 2, 3, ... and starting again on each page) removed with the margin before the text,
  so the labels after them are found (a page's lines then read as one paragraph, a label starting
  each turn, as in any transcript without blank lines)
- emphasis around a label unwrapped: `<b>Name:</b>` and `<strong>Name</strong>:` become
  Markdown bold (a bold name labels a turn from its first use), `*Name*:`, `<i>Q.</i>` and
  `**Q.**` become plain

Every change is one character for one, or is in a label or at a line's end, so what a turn
says is kept verbatim (later, turns collapse every run of white space to one space).
"""

from __future__ import annotations

import re

from synth.transcripts import labels

_UNICODE_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_PLAIN_SPACES = str.maketrans(_UNICODE_SPACES, " " * len(_UNICODE_SPACES))
_INVISIBLE = re.compile("[\ufeff\u200b\u2060]")
_BRACE = re.compile(r"[ \t]{2,}\}(?=[ \t]|$)", re.MULTILINE)  # "JIMMIE.      }": a play's brace joining speeches said at once
_INDENT = re.compile(rf"[ \t{_UNICODE_SPACES}]*")
_HTML_EMPHASIS = re.compile(r"<(?P<tag>b|strong|i|em)(?:\s[^<>\n]*)?>(?P<inner>[^<>\n]{1,64}?)</(?P=tag)\s*>", re.IGNORECASE)
_MD_EMPHASIS = re.compile(r"(?P<open>\*{1,2}|_{1,2})(?P<inner>[^\W_][^*_\n]{0,63}?)(?P=open)")


def normalise(text: str) -> str:
    """`text` with plain line ends, no invisible characters, no line numbers, and each line's label made plain."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _BRACE.sub("", _INVISIBLE.sub("", text))
    return "\n".join(plain_label(line) for line in without_line_numbers(text.split("\n")))


_LINE_NUMBER = re.compile(rf"^[ \t{_UNICODE_SPACES}]*(\d{{1,2}})(?:[ \t{_UNICODE_SPACES}]+|$)")
NUMBERED = 0.6  # the share of a file's lines with text that must be numbered for the numbers to be the margin's
IN_ORDER = 0.8  # and the share of those numbers that must follow the one before (or start a page at 1)


def without_line_numbers(lines: list[str]) -> list[str]:
    """`lines` without the numbers a court reporter puts in the margin, where they are the
    margin's: on most lines, mostly counting up by one from 1 on each page. A book's numbered
    list, or a few lines that start with a number, are left as they are."""
    found = [(k, m) for k, line in enumerate(lines) if (m := _LINE_NUMBER.match(line))]
    filled = sum(1 for line in lines if line.strip())
    if len(found) < 10 or len(found) < NUMBERED * filled:
        return lines
    numbers = [int(m.group(1)) for _, m in found]
    if sum(1 for a, b in zip(numbers, numbers[1:]) if b in (a + 1, 1)) < IN_ORDER * (len(numbers) - 1):
        return lines
    out = list(lines)
    for k, m in found:
        out[k] = lines[k][m.end() :]
    return out


def plain_label(line: str) -> str:
    """One line, its indentation and label in ASCII spaces and without emphasis."""
    indent = _INDENT.match(line).end()
    head, body = line[:indent].translate(_PLAIN_SPACES), unwrap(line[indent:])
    flat = body.translate(_PLAIN_SPACES)  # one character for one: offsets in `flat` are offsets in `body`
    label = labels.find(flat)
    if not label:
        return head + body
    cut = len(flat) - len(label.rest.lstrip())
    return head + flat[:cut] + body[cut:]


def unwrap(line: str) -> str:
    """`line` without the emphasis around a label at its start; other emphasis is the speaker's."""
    if m := _HTML_EMPHASIS.match(line):
        bold = m.group("tag").lower() in {"b", "strong"}
    elif m := _MD_EMPHASIS.match(line):
        bold = len(m.group("open")) == 2
    else:
        return line
    inner, after = m.group("inner"), line[m.end() :]
    colon = inner.rstrip().endswith(":") or after.lstrip().startswith(":")
    plain = f"**{inner}**{after}" if bold and colon else inner + after
    return plain if labels.find(plain.translate(_PLAIN_SPACES)) else line
