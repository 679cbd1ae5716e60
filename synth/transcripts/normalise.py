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
    """`text` with plain line ends, no invisible characters, and each line's label made plain."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _BRACE.sub("", _INVISIBLE.sub("", text))
    return "\n".join(plain_label(line) for line in text.split("\n"))


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
