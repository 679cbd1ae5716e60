"""Would a reviewer keep this question as written? The checks an interview question must pass,
each a named fault that becomes a record's flag when a kept question still has it:

  asks_as_author     the asker speaks as the author ("Why did I walk into the woods?") or to someone
                     else by name ("How about you, David?"); "tell me" and its kin are the interviewer's
  several_questions  two or more questions in one ("What is your name, and what is a Sunday school?")
  shell_question     no word that says what it is about: it fits any passage ("What would you like to know?")
  invents_names      a name, or two or more uncommon words, that neither the passage nor what was said
                     before it has ("How did the news of the eruption at Olympus Mons affect you?")
  quiz_question      a definition or trivia quiz, not an interview ("What do you call the flicker of the
                     heliograph?", "What is the one world microscope?")

Word rules only: cheap enough to run on every candidate of every backend, and each tested on the
real interviewers' questions of the transcripts in ../shared/corpora (which must pass) and on the
bad questions of issue 24 (which must fail). `template` writes the last-resort question from a
passage's key terms ("Tell me about the heliograph.").
"""

from __future__ import annotations

import re
from typing import Sequence

from synth.generation.job import opening
from synth.repair import segment
from voicetune.words import COMMON, STOPWORDS, words

FAULTS = ("asks_as_author", "several_questions", "shell_question", "invents_names", "quiz_question")

_FIRST_PERSON = {"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"}
# "me" after these is the interviewer asking the author to talk: "Tell me about the boat."
_ASK_ME = re.compile(r"\b(?:tell|telling|show|give|walk|take|let|remind|help)\s+me\b", re.IGNORECASE)
_WH = r"(?:what|why|how|where|when|who|whom|which|whose)"
_AUX = r"(?:is|are|was|were|do|does|did|have|has|had|can|could|would|will|should|shall|may|might|must)"
# A clause that asks on its own: a question word with its verb ("how do ...", "what's ..."), or a
# verb before its subject ("did you ...").
_ASKS = re.compile(rf"^(?:{_WH}(?:'s|\s+{_AUX}\b|\s+\w+\s+(?:you|he|she|it|they|we)\b)|{_AUX}\s+(?:you|he|she|it|they|we|there|this|that|the|your)\b)", re.IGNORECASE)
_JOINS = re.compile(r"\s*[,;:]\s*(?:and|but|then|also)?\s*|\s+(?:and|but)\s+(?:then\s+|also\s+)?", re.IGNORECASE)
# Words that say nothing of what a question is about, beyond the everyday words of voicetune.words.
GENERIC = COMMON | set(
    "am ask doing else feel feeling feelings felt happen happened happening happens kind kinds like mean meant name "
    "part please little bit bits lot reason reasons remember sort story stuff talk tell true what's who's why's yourself you've you'd you'll "
    "experience experiences life lives think believe matter mind happy sad important special favorite favourite "
    "want wanted wish wished would like describe explain share".split()
)
_QUIZ = [
    re.compile(r"^what\s+(?:do|would|did)\s+(?:you|we|they|people|one)\s+call\b", re.IGNORECASE),
    re.compile(r"\b(?:the\s+)?(?:name|meaning|definition|term|word|synonym)\s+(?:of|for)\b", re.IGNORECASE),
    re.compile(r"\bwhat\s+(?:does|did)\b.*\b(?:mean|stand\s+for)\s*\?", re.IGNORECASE),
    re.compile(r"^(?:how\s+many|how\s+much|in\s+what\s+year|what\s+year|what\s+colou?r|which\s+(?:year|word|term|colou?r))\b", re.IGNORECASE),
    # About the words rather than the life: "What do you think of the term 'Farrington'?", "the topic of
    # black, Balzac and Harris", "the most interesting fact", "how did you respond to their question?"
    re.compile(r"\b(?:(?:the|this|that)\s+(?:term|word|phrase|concept)s?|topics?|facts?|tone|article|(?:their|your|the|this|that)\s+questions?)\b", re.IGNORECASE),
    re.compile(r"\blive[ds]?,?\s+(?:and\s+)?fe(?:lt|el)\b|\bfe(?:lt|el),?\s+(?:and|or)\s+decided?\b", re.IGNORECASE),  # the prompt's words given back
    re.compile(r"\b(?:your|their|those|these|the|my)\s+(?:first\s+)?words\b", re.IGNORECASE),  # "What was it about your first words ...?"
]
# "What is X?", "Who killed X?" with no "you" in it asks for a fact, not for the author's experience
# ("What was it like ...?" asks for it).
_FACT = re.compile(r"^(?:(?:what|which)(?:'s|\s+(?:is|are|was|were))\b(?!\s+it\s+like\b)|who\b)", re.IGNORECASE)
_SECOND_PERSON = {"you", "your", "yours", "yourself", "yourselves", "you're", "you've", "you'd", "you'll"}
_NAME = re.compile(r"\b[A-Z][\w'\u2019-]*")
_STEM = 5  # words sharing their first letters count as the same word ("exploding", "explosion")
_NUMBER_WORDS = set("two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand million".split())
NEW_WORDS = 3  # uncommon words absent from the passage and its context at which a question invents


def _stems(text: str) -> set[str]:
    return {w.removesuffix("'s")[:_STEM] for w in words(text)}


# A name or title called out at the end: the question is put to someone in the passage, not to the
# author ("How did you get the trawler, Rab?"). Not at the start, where interviewers name the one
# they ask ("Jen, when will ...?") or the subject ("On China, ...").
_ASIDES = {"okay", "ok", "right", "yes", "oh", "ah", "finally", "lastly", "first", "second", "secondly"}
_TITLE = r"(?:Mr|Mrs|Ms|Dr|St)\.?\s+|(?:Miss|Sir|Madam|Doctor|Captain|Uncle|Aunt)\s+"
_VOCATIVE = re.compile(rf",\s*(?:(?:{_TITLE})?(?:[A-Z][\w'\u2019-]*\s*)+[?.!]?$|(?:{_TITLE})(?:[A-Z][\w'\u2019-]*\s*)+,|(?:sir|madam),)"
                       rf"|\byou,\s*(?:{_TITLE})?(?:[A-Z][\w'\u2019-]*\s*)+,")


def asks_as_author(question: str) -> bool:
    """The asker's own "I", or a question put to someone else by name."""
    if _FIRST_PERSON & set(words(_ASK_ME.sub(" ", question))):
        return True
    called = _VOCATIVE.search(question.strip())
    return called is not None and not set(words(called.group())) <= GENERIC | _ASIDES  # "So, ...", "Well, ..." call no one


def several_questions(question: str) -> bool:
    """More than one question mark, or two clauses that each ask on their own, joined by a comma or
    "and" ("What is it, how do you know this, and where ...?"). Alternatives joined by "or" are one
    question ("Was it a year, or was it a couple of months?")."""
    if question.count("?") > 1:
        return True
    clauses = [c.strip() for c in _JOINS.split(question) if c and c.strip()]
    return sum(1 for c in clauses if _ASKS.match(c)) >= 2


def content_words(question: str) -> list[str]:
    return [w for w in words(question) if w.removesuffix("'s") not in GENERIC and len(w) > 2 and not w.isdigit()]


_STUTTER = re.compile(r"\b(\w{4,})\s+to\s+\1\b", re.IGNORECASE)  # "decide to decide", "choose to choose"


def shell_question(question: str) -> bool:
    return not content_words(question) or bool(_STUTTER.search(question))


def invented(question: str, passage: str, context: str = "") -> list[str]:
    """The names (capitalised words past the first), numbers ("in 1903") and uncommon words of the
    question that neither the passage nor its context has; the uncommon words only when there are
    NEW_WORDS or more."""
    known, said = _stems(passage) | _stems(context), passage + " " + context
    numbers = [n for n in re.findall(r"\d+", question) if n not in re.findall(r"\d+", said)]
    spoken = set(words(said))
    numbers += [w for w in words(question) if w in _NUMBER_WORDS and w not in spoken]  # "your first two months"
    first = re.match(r"\W*[\w'\u2019-]+", question)
    start = first.end() if first else 0
    names = [m.group() for m in _NAME.finditer(question, start) if m.group() != "I" and not (_stems(m.group()) <= known)]
    new = [w for w in content_words(question) if w.removesuffix("'s")[:_STEM] not in known]
    return list(dict.fromkeys(names + numbers + (new if len(new) >= NEW_WORDS else [])))


def quiz_question(question: str) -> bool:
    if any(p.search(question) for p in _QUIZ):
        return True
    return bool(_FACT.match(question.strip())) and not (_SECOND_PERSON & set(words(question)))


LOOSE_STRAYS = 2  # a question with this many strays is tried again while tries are left
LONG_WORDS = 12  # a longer question is chosen after shorter ones (a small model's long ones ramble)
_THIRD_PERSON = re.compile(r"\b(?:he|him|his|she|her|hers|they|them|their|theirs)\b", re.IGNORECASE)


# Nouns that say little of what the question is about ("Tell me about your mother's story.",
# "How did you feel about his actions?"): a reviewer would ask which story, which actions.
VAGUE_NOUNS = set("action actions approach character day days decision experience experiences feelings journey life lives moment "
                  "moments situation stories story thing things thoughts time times way".split())


# A clause that turns the question against itself ("Tell me about the King, not the answer."), or
# the narrator asked what it was like to be someone else by name ("What was it like to be Margaret?").
_TURN = re.compile(r",\s*(?:not|but)\b|\bto\s+be\s+(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?[A-Z]")


def strays(question: str, passage: str, context: str = "") -> int:
    """What a reviewer reading the question cold would have to fix or look up, counted: each
    content word that neither the passage nor its context has (one is no fault: `invented` needs
    a name or NEW_WORDS) or that says little (VAGUE_NOUNS), a clause that turns on the question
    (", not ...") or makes the narrator someone else ("to be Margaret"), a pronoun for someone the
    question does not name ("What do you remember about his character?"), and a length beyond
    LONG_WORDS. Not a fault, a preference among candidates: real interviewers' follow-ups say "he"
    of someone named before."""
    known = _stems(passage) | _stems(context)
    vague = [w for w in words(question) if w.removesuffix("'s") in VAGUE_NOUNS]
    unknown = [w for w in content_words(question) if w.removesuffix("'s")[:_STEM] not in known and w not in vague]
    turns = len(_TURN.findall(question))  # ", not the answer", "to be Margaret": a thread lost
    return len(vague) + len(unknown) + turns + bool(_THIRD_PERSON.search(question)) + (len(question.split()) > LONG_WORDS)


def answered_first(question: str, passage: str) -> bool:
    """Whether the question names something the passage's opening says (a content word, first
    letters compared): an interview answer's first words respond to the question. Not a fault
    (a real follow-up may ask about what comes later), a preference among candidates."""
    said = _stems(opening(passage))
    return any(w.removesuffix("'s")[:_STEM] in said for w in content_words(question))


def faults(question: str, passage: str, context: str = "") -> list[str]:
    """The checks a question fails, in FAULTS order; [] when a reviewer could keep it as written."""
    found = {
        "asks_as_author": asks_as_author(question),
        "several_questions": several_questions(question),
        "shell_question": shell_question(question),
        "invents_names": bool(invented(question, passage, context)),
        "quiz_question": quiz_question(question),
    }
    return [name for name in FAULTS if found[name]]


# A noun after a determiner, or after one and an adjective-like word ("the old trawler"); not after
# "his" or "her" (whose? "her ears" is no "the ears").
_DETERMINED = r"\b(the|a|an|my|our|this|that)\s+(?:[a-z]+(?:y|al|ed|en|ic|ish|ous|ful|less|ive|old|new|big|small|long|short|young|little)\s+)?{}\b"
# The noun itself stands before a stop word or a full stop ("the teacher for a year"), or before a
# verb, if it does not end like an adjective ("the heliograph stopped", not "the hardest days");
# before another word it qualifies that one ("a closed door", "a sick child", "my younger self").
_MODIFIER = re.compile(r"(?:ed|est|er|ous|ful|ive|ic|al|ish)$", re.IGNORECASE)
_VERB = re.compile(r"\w\w(?:ed|s)$", re.IGNORECASE)
_CALENDAR = set("monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
                "september october november december christmas easter".split())
_CAPITALISED = r"[A-Z][\w'\u2019-]*"


def _subject(passage: str, term: str) -> str | None:
    """What "Tell me about ..." names for a key term: the whole name the passage writes mid-sentence
    ("Isla" -> "Isla Baird", "Dunmore's" -> "Dunmore's yard"), or a noun after a determiner ("the
    heliograph", "my father" -> "your father"); None for a date or another kind of word."""
    if term.casefold() in _CALENDAR:
        return None
    if term[:1].isupper():
        name = re.search(rf"(?<![.!?\"\u201c] )(?<![\"\u201c\u2018(])(?<!^)\b(?:(?:Mr|Mrs|Ms|Dr|St)\.\s+)?(?:{_CAPITALISED}\s+)*{re.escape(term)}\b(?:\s+{_CAPITALISED})*", passage)
        if name is None:
            return None
        if name.group().endswith(("'s", "\u2019s")) and (noun := re.match(r"\s+([a-z]{3,})\b", passage[name.end():])):
            return f"{name.group()} {noun.group(1)}"
        return name.group()
    for m in re.finditer(_DETERMINED.format(re.escape(term)), passage, re.IGNORECASE):
        after = re.match(r"\s*([\w'\u2019]+)?", passage[m.end():]).group(1)
        if after is None or after.casefold() in STOPWORDS or (not _MODIFIER.search(term) and _VERB.search(after)):  # the noun itself, not a word before one ("a closed door")
            return f"{'your' if m.group(1).lower() in ('my', 'our') else 'the'} {term.lower()}"
    return None


# Words a determiner can stand before that name nothing to ask about ("the ones", "the rest").
_VAGUE = set("one ones other others rest same way ways thing things time times lot lots kind sort part side end "
             "bit couple half most least first last next".split())
# A name said to someone ("..., Aggie.", "my dear Watson,"): in a memoir, often the narrator, whom
# the interviewer asks, never asks about.
_CALLED = r"(?:,\s*|\bdear\s+|[\"\u201c]\s*){}\s*[,.!?]"
_QUOTED = re.compile(r"[\"\u201c][^\"\u201c\u201d]*[\"\u201d]")
WORDINGS = ("Tell me about {}.", "What do you remember about {}?", "What can you tell me about {}?")


def _first(passage: str) -> str:
    return segment.split_sentences(passage)[0] if passage.strip() else ""


def _mentions(text: str, term: str) -> int:
    return len(re.findall(rf"\b{re.escape(term)}\b", text, re.IGNORECASE))


def _worth_asking(passage: str, term: str, persona: str) -> bool:
    """Whether a key term is what the passage is about, and not the narrator: not the persona's name
    nor a name the passage says to someone; said more than once outside quoted speech, or for a
    name, once in the first sentence ("Tell me about the door." of "a face like a closed door" and
    "Tell me about Aberdeen." of a post in Aberdeen turned down in passing are not kept)."""
    if term.casefold() in _VAGUE or term.casefold() in {w.casefold() for w in words(persona)}:
        return False
    if term[:1].isupper() and re.search(_CALLED.format(re.escape(term)), passage):
        return False
    said = _mentions(_QUOTED.sub(" ", passage), term)
    return said > 1 or (term[:1].isupper() and said > 0 and _mentions(_first(passage), term) > 0)


def template(passage: str, terms: Sequence[str], form: int = 0, persona: str = "") -> str | None:
    """The last-resort question from the passage's key terms, about the first one `_subject` can
    name that the passage is about (`_worth_asking`), one its first sentence says before the rest
    ("Tell me about the heliograph."); None if there is none. `form` picks one of WORDINGS, so a
    book's templates do not all read alike."""
    first = _first(passage)
    ordered = sorted((t for t in terms if _worth_asking(passage, t, persona)), key=lambda t: _mentions(first, t) == 0)
    for term in ordered:
        if (subject := _subject(passage, term)) is not None:
            return WORDINGS[form % len(WORDINGS)].format(subject)
    return None
