"""The real question in an interviewer's turn: the part that asks, not the sponsor read before it.

A host's turn often opens with housekeeping ("Welcome back to the show", "Thanks, Jen.", a
1,300-character ad read) or a reporter's preamble, and ends with the question the answer
answers. The real question is that end: the question sentences (or bids in the imperative,
"Tell me about the boat.") among the turn's last two, with
at most two sentences of lead-in before them, all within QUESTION_WORDS words, and never a
sentence of housekeeping. A turn whose end asks nothing, asks only housekeeping ("Next
question?") or asks inside an ad read ("What are you waiting for? Use code ..."), has no real
question: the engine writes one.
"""

from __future__ import annotations

import re

from synth.repair.segment import split_sentences

QUESTION_WORDS = 50  # a question and the lead-in it needs; a reporter's preamble runs longer
LEAD_IN_SENTENCES = 2
_CLOSING = "\"'\u201d\u2019)]"
# ads, breaks and subscriptions: never the question, wherever they stand in the sentence
_AD = re.compile(
    r"\b(?:sponsor(?:s|ed)?\b|brought to you by|promo code|(?:use|discount|offer) code|free trial|sign up (?:at|today|now)"
    r"|(?:go|head) (?:over )?to \S+\.(?:com|fm|io|org|co|net)|\S+\.(?:com|fm|io|co)/\w+|support(?:s|ed)? (?:the|this|our) (?:show|podcast)"
    r"|patreon|subscribe|rate and review|word from our|(?:be )?right back|after (?:the|this) break|commercial break|stay tuned"
    r"|take a (?:quick |short )?break)",
    re.IGNORECASE,
)
# greetings, thanks, introductions and the running of the room: words that open or steer a turn, not ask
_HOUSEKEEPING = re.compile(
    r"^(?:and |so |well |okay |ok |all right |alright )?,?\s*(?:welcome(?: back)?\b|thanks?\b|thank you\b|(?:hi|hello|hey)\b|good (?:morning|afternoon|evening)\b"
    r"|it'?s (?:great|good|a pleasure|an honou?r) to (?:have|see|be|talk)|i'?m (?:your host|joined by|here with)\b|my guests? (?:today|this week|on)"
    r"|joining (?:me|us)\b|(?:today|this week) (?:on the show|we have|i have|i'?m)\b|let'?s (?:get started|dive in|jump in|begin)\b"
    r"|next question\b|any (?:other |more )?questions\b|go ahead\b|you'?re (?:listening|watching) to\b)",
    re.IGNORECASE,
)

_FILLER = re.compile(r"^(?:okay|ok|all right|alright|right|great|cool|yeah|yes|sure|wow|interesting|got it|i see|mm-hmm|uh-huh)[.!,\s]*$", re.IGNORECASE)


def real_question(turn: str) -> str | None:
    """The words of `turn` that ask what the next turn answers, or None if it asks nothing."""
    sentences = split_sentences(" ".join(turn.split()))
    last = next((i for i in range(len(sentences) - 1, max(len(sentences) - 3, -1), -1) if asks(sentences[i])), None)
    if last is None:
        return None
    first = last
    while first > 0 and asks(sentences[first - 1]):
        first -= 1
    if 0 < first and last + 1 < len(sentences) and _AD.search(sentences[first - 1]) and _AD.search(sentences[last + 1]):
        return None  # "What are you waiting for?" inside an ad read asks nobody
    start, lead_ins = last, 0
    while start > 0 and not _steers(sentences[start - 1]) and _words(sentences[start - 1 : last + 1]) <= QUESTION_WORDS:
        lead_ins += not asks(sentences[start - 1])
        if lead_ins > LEAD_IN_SENTENCES:
            break
        start -= 1
    kept = [_after_housekeeping(s) for s in sentences[start : last + 1]]
    question = " ".join(s for s in kept if s)
    if not question or _steers(question) or not asks(question):
        return None
    return _last_clause(question) if _words([question]) > QUESTION_WORDS else question


# "So tell me how you started.", "Walk us through that night.": an interviewer asks in the imperative too
_BIDS = re.compile(
    r"^(?:(?:and|so|now|okay|ok|well|please|first|then|finally),?\s+)*(?:please\s+)?(?:tell (?:me|us)|talk (?:(?:to )?(?:me|us) )?(?:about|through)"
    r"|walk (?:me|us) through|take (?:me|us) (?:back|through)|describe|explain|say (?:a (?:little|bit) )?more|give (?:me|us) (?:a sense|an idea|an example))\b",
    re.IGNORECASE,
)


def asks(sentence: str) -> bool:
    """A question, or a bid for an answer in the imperative ("Tell me about the boat.")."""
    text = sentence.rstrip().rstrip(_CLOSING)
    return text.endswith("?") or (text.endswith(".") and bool(_BIDS.match(text)))


def _steers(text: str) -> bool:
    """An ad read, a break, a greeting, thanks, the running of the room, or a filler ("Okay.")."""
    return bool(_AD.search(text) or _HOUSEKEEPING.match(text) or _FILLER.match(text))


def _after_housekeeping(sentence: str) -> str:
    """"Welcome to the show, Henk, how are you?" -> "Henk, how are you?": a greeting clause
    before the question is not part of it."""
    clauses = re.split(r"(?<=[,;:\u2014])\s+", sentence)
    while len(clauses) > 1 and _steers(clauses[0]):
        clauses.pop(0)
    return "" if _AD.search(sentence) else " ".join(clauses)


def _last_clause(question: str) -> str:
    """One long sentence that asks: from its last colon, semicolon or dash on, if that still asks in four words or more."""
    cut = max(question.rfind(mark) for mark in (": ", "; ", " \u2014 ", " -- ", " - "))
    tail = question[cut:].lstrip(":;\u2014- ").strip() if cut > 0 else ""
    return tail if len(tail.split()) >= 4 and asks(tail) else question


def _words(sentences: list[str]) -> int:
    return sum(len(s.split()) for s in sentences)
