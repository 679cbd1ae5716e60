"""The one word tokenizer for comparing texts (near-duplicate questions, echoed answers, copied
trigrams, ROUGE): lower-cased runs of letters and digits in any script, an apostrophe inside a
word kept ("don't", "Jones's"), typographic apostrophes read as straight ones."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("\u2019", "'"))
