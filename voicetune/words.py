"""The one word tokenizer for comparing texts (near-duplicate questions, echoed answers, copied
trigrams, ROUGE): lower-cased runs of letters and digits in any script, an apostrophe inside a
word kept ("don't", "Jones's"), typographic apostrophes read as straight ones."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("\u2019", "'"))


# Words too common to say what a text is about: function words, and the everyday verbs, adverbs
# and nouns of narrative prose (a passage's key terms must not be "again" or "looked").
# (train/eval/style.py's STYLE_WORDS and synth/repair/clean.py's title words are other sets on purpose.)
STOPWORDS = frozenset(
    "a an and are as at be but by can could did do does for from had has have how i in is it its me my of on or so that the their them "
    "then there they this to was were what what's when where which who why will with would you your you're".split()
)
COMMON = STOPWORDS | frozenset(
    "about above after again against all almost along already also although always among another any anyone anything around away "
    "back because been before began behind being below beside best better between both brought came cannot come comes coming "
    "could couldn't didn't does doesn't doing done don't down during each either else enough even ever every everything few "
    "first found gave get gets getting give given goes going gone good got great hardly he her here herself him himself his "
    "however i'd i'll i'm i've if indeed into isn't it's just keep kept knew know known last later least left less let like little "
    "long look looked looking made make many may maybe might mine more most much must myself near nearly need never new next no "
    "none nor not nothing now off often old once one only onto other others our ours ourselves out over own perhaps put quite "
    "rather really right said same saw say saying says see seemed seen several shall she should since some something sometimes "
    "soon still such sure take taken tell than thank that's themselves these thing things think those though thought three "
    "through thus till together too took toward towards two under until upon us used very want wanted wasn't way we well went "
    "we're whatever whether while whole whom whose without won't yes yet yourself "
    "asked back day days eyes face hand hands head man men morning night moment mr mrs time times told turned two year years".split()
)
