"""The question checks a reviewer would agree with (synth/generation/natural.py): the bad questions of
issue 24 fail them, interviewers' questions pass, and `synth run`'s generation applies them to every
candidate, falling back to a question from the key terms."""

from string import Template

import pytest

from conftest import CORPORA
from synth import pipeline
from synth.document import Passage
from synth.generation import natural
from synth.generation.generate import generate
from synth.generation.job import Job
from synth.generation.judge import candidates
from voicetune.engine import Generation

SMOKE = "I saw the heliograph flicker twice from the common, and then the green smoke rose over the woods where I had walked that morning."


@pytest.mark.parametrize(
    "question, fault",
    [  # issue 24's examples, from a default run on a book the project had not seen
        ("Why did I walk into the woods?", "asks_as_author"),
        ("How did the news of the eruption at Olympus Mons affect me?", "asks_as_author"),
        ("- How do I respond to your question about the smoke?", "asks_as_author"),
        ("What's that?", "shell_question"),
        ("What are we?", "shell_question"),
        ("What would you like to know?", "shell_question"),
        ("What was it that made you do what you did?", "shell_question"),
        ("What is the one thing that you do not tell me?", "shell_question"),
        ("What is a very long, slender metallic body, moving as it went, and puffs of green smoke?", "quiz_question"),
        ("What do you call the flicker of the heliograph?", "quiz_question"),
        ("What is the one world microscope?", "quiz_question"),
        ("What is it, how do you know this, and where is the last time you saw the two puffs of green smoke?", "several_questions"),
        ("What is your name, and what is a Sunday school?", "several_questions"),
        ("How did the news of the eruption at Olympus Mons affect you?", "invents_names"),
        ("Was it the Zodiac moment when you saw the smoke?", "invents_names"),
        ("Did it sound like a firecracker exploding inside a locked cupboard?", "invents_names"),
        ("What did you think of your family, in 1903?", "invents_names"),  # a year from nowhere (this round's Frankenstein run)
        ("How did you feel about those first two months on the common?", "invents_names"),  # a number from nowhere, in words
        # from a default run on 220 passages of the Sherlock Holmes book, passing every check before these
        ("What do you think of the term 'heliograph'?", "quiz_question"),
        ("What is your take on the topic of smoke, woods and common?", "quiz_question"),
        ("Who lit the heliograph on the common?", "quiz_question"),
        ("How do you respond to their question about the smoke?", "quiz_question"),
        # other spellings of the same faults
        ("Why did I go? Where did you go?", "several_questions"),
        ("When did you leave and why did you never come back?", "several_questions"),
        ("What does heliograph mean?", "quiz_question"),
        ("How many puffs of smoke were there?", "quiz_question"),
        ("Who was the man on the common?", "quiz_question"),
        ("What is the name of the common?", "quiz_question"),
        ("How did my walk in the woods go?", "asks_as_author"),
        ("How did you get that old wooden trawler, Rab?", "asks_as_author"),  # put to someone in the passage
        ("What made you, David?", "asks_as_author"),
        ("How did you get out of it, Mr. Windibank?", "asks_as_author"),
        ("How did you, Mr. Holmes, decide to leave the common?", "asks_as_author"),
        ("How did you, sir, feel about the smoke?", "asks_as_author"),
        ("How did you, David, react to the smoke?", "asks_as_author"),
        ("How did you live, feel, or decided?", "quiz_question"),
        ("How did you live, felt, and decided to walk into the woods?", "quiz_question"),  # the prompt's words given back
        ("How did your first words, 'He never mentioned it,' reflect on your life?", "quiz_question"),  # the prompt's words given back
        ("What was it about those words that spoke to you?", "quiz_question"),
        ("How did you decide to decide on the woods?", "shell_question"),
        ("How did you get to know the passengers, and what made you stay?", "several_questions"),
        ("What happened next?", "shell_question"),
        ("Can you tell me a little bit about that?", "shell_question"),  # from this round's memoir run
        ("Could you say a bit more about it?", "shell_question"),
    ],
)
def test_bad_questions_fail(question, fault):
    assert fault in natural.faults(question, SMOKE)


@pytest.mark.parametrize(
    "question",
    [
        "Why did you walk into the woods that morning?",
        "How did you feel when you saw the green smoke over the woods?",
        "Tell me about the heliograph.",
        "What can you tell me about the heliograph?",
        "What was it like to see the heliograph flicker from the common?",
        "When you saw the smoke, what did you think it meant?",  # a clause before the question is not a second question
        "Was it the heliograph, or was it something else?",  # alternatives are one question
        "What did you and your brother see from the common?",
        "Can you tell me what you saw from the common?",
        "What made you look toward the woods?",
        "So, what did you see from the common?",
        "Jen, when did you see the heliograph?",  # the one asked, named first
    ],
)
def test_interview_questions_pass(question):
    assert natural.faults(question, SMOKE) == []


@pytest.mark.parametrize(
    "question, answered, strays",
    [
        ("Tell me about the heliograph.", True, 0),
        ("What was it like to see the green smoke?", True, 0),
        ("How did you feel about the woods?", False, 0),  # the passage says it, not its first sentence: see OPENING below
        ("What do you remember about his character?", False, 2),  # a pronoun for no one, a word the passage lacks
        ("Tell me about your story.", False, 1),  # which story?
        ("What do you remember about the heliograph that flickered twice from the common that morning?", True, 1),  # rambling
        ("What do you remember about the shepherd's lantern on the common?", True, 2),
        ("Tell me about the heliograph, not the answer.", True, 2),  # the thread lost (and a word the passage lacks)
        ("What was it like to be Ogilvy on the common?", True, 2),  # the narrator made someone else (and a name the passage lacks)
    ],
)
def test_what_the_choice_prefers_among_faultless_questions(question, answered, strays):
    passage = "I saw the heliograph flicker twice from the common, and then the green smoke rose. " + "It went on a long while, and nobody said a word. " * 4 + "I had walked in the woods that morning."
    assert natural.answered_first(question, passage) is answered
    assert natural.strays(question, passage) == strays


def test_names_from_the_context_are_not_invented():
    question = "Why did Ogilvy go back to the common?"
    assert natural.faults(question, SMOKE) == ["invents_names"]
    assert natural.faults(question, SMOKE, context="Ogilvy the astronomer had seen it first.") == []
    assert natural.faults("What did the smoke mean to you in 1903?", SMOKE, context="It was the summer of 1903.") == []  # a year the author gave


@pytest.mark.parametrize(
    "passage, terms, expected",
    [
        (SMOKE + " The heliograph stopped.", ["heliograph", "common"], "Tell me about the heliograph."),
        ("When my father sold the boat I stopped speaking to my father.", ["father", "boat"], "Tell me about your father."),
        ("We met at the office on Chapel Lane that winter.", ["Chapel", "office"], "Tell me about Chapel Lane."),
        ("I worked at Dunmore's yard for a year. Dunmore's temper was famous.", ["Dunmore's"], "Tell me about Dunmore's yard."),
        ("By degrees Mr. Duncan Ross took to coming in only once of a morning.", ["Ross"], "Tell me about Mr. Duncan Ross."),
        ("On Monday we sailed, and the sea was calm.", ["Monday", "sailed"], None),  # a date, then a verb: nothing to ask about
        # Said once in passing, not the passage's subject: "Tell me about Aberdeen." of a post turned down.
        ("After the funeral I stayed home. A firm in Aberdeen offered me a post, and I said no.", ["Aberdeen"], None),
        # The name said to the narrator, with or without curly quotes: the interviewer asks her, never about her.
        ('He said, "Never let it clog, Aggie, or she\'ll cook." Aggie was seven.', ["Aggie"], None),
        ("\u201cI was so proud of you, Meg.\u201d Meg cried. Meg always did.", ["Meg"], None),
        ("\u201cCome, my dear Watson,\u201d said he. Watson rose. Watson followed.", ["Watson"], None),
        ("Tom told me about Tom's travels; Tom was my uncle.", ["Tom"], None),  # the persona (below) by name
        # Vague words after a determiner, adjectives before a noun, and superlatives name nothing.
        ("The ones who stayed were kind. I loved the ones who stayed.", ["ones"], None),
        ("He had a face like a closed door. Nothing closed him.", ["closed"], None),
        ("A sick child waited. The sick child cried.", ["sick"], None),
        ("Those were the hardest years. The hardest days came last.", ["hardest"], None),
        # A subject of the first sentence is asked about before a key term that scores higher.
        ("That year Isla Baird taught on the island. Later the ferry and the ferry crew knew her.", ["ferry", "Isla"], "Tell me about Isla Baird."),
    ],
)
def test_template_names_a_key_term_the_passage_is_about(passage, terms, expected):
    assert natural.template(passage, terms, persona="Tom Reid") == expected
    if expected:
        assert natural.faults(expected, passage) == []


def test_template_has_several_wordings():
    passage = SMOKE + " The heliograph stopped."
    made = {natural.template(passage, ["heliograph"], form=k) for k in range(len(natural.WORDINGS))}
    assert made == {"Tell me about the heliograph.", "What do you remember about the heliograph?", "What can you tell me about the heliograph?"}


def _real_questions():
    """The interviewers' questions of three real transcripts (one question sentence each), with the answer they got."""
    files = {
        "transcripts/02_changelog_founders-talk-7_henk-rogers_podcast-interview.md": "Henk Rogers",
        "transcripts/10_whitehouse_briefing-2025-01-29_leavitt_bare-Q-nbsp.md": "MS. LEAVITT",
        "transcripts/11_whitehouse_briefing-2021-07-19_psaki_bare-Q-ascii-space.md": "MS. PSAKI",
    }
    found = []
    for name, persona in files.items():
        for p in pipeline.passages(CORPORA / name, pipeline.SegmentOptions(persona=persona)):
            found += [(q, p.text) for q in candidates(p.question or "")]
    return found


@pytest.mark.corpora
@pytest.mark.skipif(not (CORPORA / "transcripts").exists(), reason="needs ../shared/corpora")
def test_real_interviewers_questions_mostly_pass():
    """Real questions may bring in what the answer does not say (the invention check is for
    generated ones), and live follow-ups ("Why?") lean on what was said before; the rest pass.
    Measured 2026-12-05: 159 of 193 question sentences (82%) pass every other check."""
    real = _real_questions()
    assert len(real) > 150
    passed = [q for q, answer in real if not set(natural.faults(q, answer)) - {"invents_names"}]
    assert len(passed) / len(real) >= 0.8


class Replies:
    """An engine whose every request gets the same candidates."""

    model = "fake"

    def __init__(self, *texts):
        self.texts, self.calls = texts, 0

    def stream(self, conversations, sampling):
        self.calls += 1
        for i in range(len(conversations)):
            yield i, Generation(self.texts[0], 5, True, self.texts[1:])


def _run(engine, text=SMOKE, retries=1):
    rejected = []
    job = Job(Template("$context $passage"), model="m", retries=retries, checks=True)
    records, summary = generate([Passage("id0", text, "book.pdf", 1, 1, None)], lambda: engine, job, reject=rejected.append)
    return records[0], summary, rejected


def test_a_candidate_with_a_fault_is_passed_over_for_one_without():
    record, summary, rejected = _run(Replies("Why did I walk into the woods?", "Why did you walk into the woods?"))
    assert record.question == "Why did you walk into the woods?" and record.flags == []
    assert rejected == [] and summary.replies == 2  # the faulty one, ranked after it, was never needed


def test_when_every_try_has_a_fault_the_key_terms_make_the_question():
    engine = Replies("What's that?", "What do you call the flicker of the heliograph?")
    record, summary, rejected = _run(engine, text=SMOKE + " The heliograph stopped.")
    assert engine.calls == 2  # the first try and one retry
    assert record.question_source == "template" and record.question == "Tell me about the heliograph."
    assert record.key and record.model == "m"  # a re-run reuses it
    assert summary.templates == 1 and {r["reason"] for r in rejected} == {"shell_question", "quiz_question"}


def test_without_a_template_the_best_try_is_kept_with_its_faults_as_flags():
    record, summary, _ = _run(Replies("Why did I sail on Monday?"), text="On Monday we sailed.", retries=0)
    assert record.question == "Why did I sail on Monday?" and record.flags == ["asks_as_author"]
    assert summary.generated == 1 and summary.templates == 0
