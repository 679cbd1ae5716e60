from string import Template

import pytest

from synth.engine import Generation, Sampling
from synth.generate import BOOK_START, RETRY_SEED_STRIDE, Job, clean_question, context_tail, generate, judge
from synth.prompts import MissingVariables
from synth.records import Passage


@pytest.mark.parametrize(
    "reply, question",
    [
        ("Why did you leave the island?", "Why did you leave the island?"),
        ('Question: "Why did you leave the island?" This question invites reflection.', "Why did you leave the island?"),
        ("<think>The passage is about fear.</think>\n**Q:** What scared you most?", "What scared you most?"),
        ("Sure! Here is the question:\n\n1. How did it feel to lose the boat?", "How did it feel to lose the boat?"),
        ('I would ask you, "What made you stay?', "What made you stay?"),
        ("The one question is: why did you stay? It is a good one.", "Why did you stay?"),
        ("  'how did your mother take it?'  ", "How did your mother take it?"),
        ("No question here.", None),
        ("", None),
        ("<think>unfinished reasoning ... why?", None),
        ("What does the author think of the passage?", None),  # about the interview, not to the author
        ("Why " + "very " * 80 + "long?", None),
    ],
)
def test_clean_question(reply, question):
    assert clean_question(reply) == question


def passages(n):
    return [Passage(f"id{i}", f"Passage {i}.", "book.pdf", i + 1, i + 1, "Chapter 1") for i in range(n)]


class FakeEngine:
    """Replies from a script: calls[k] lists the replies of call k, in batch order. Yields them
    in reverse, as a real engine may finish requests in any order."""

    model = "fake"

    def __init__(self, *calls):
        self.calls = list(calls)
        self.seen = []

    def stream(self, conversations, sampling):
        self.seen.append(([c[-1]["content"] for c in conversations], sampling))
        replies = self.calls[len(self.seen) - 1]
        assert len(replies) == len(conversations)
        for i in reversed(range(len(replies))):
            yield i, Generation(replies[i], 5, True)


TEMPLATE = Template("before: $context | quote: $passage")


def run(engine, items, existing=None, **settings):
    saved, rejected = [], []
    job = Job(TEMPLATE, prompt="p", model="m", **settings)
    records, summary = generate(items, lambda: engine, job, existing=existing, save=saved.append, reject=rejected.append)
    return records, summary, saved, rejected


def test_one_batched_call_with_previous_passage_as_context():
    engine = FakeEngine(["Why one?", "Why two?", "Why three?"])
    records, summary, saved, _ = run(engine, passages(3))
    assert len(engine.seen) == 1
    assert engine.seen[0][0] == [f"before: {BOOK_START} | quote: Passage 0.", "before: Passage 0. | quote: Passage 1.", "before: Passage 1. | quote: Passage 2."]
    assert [r.question for r in records] == ["Why one?", "Why two?", "Why three?"]
    assert [r.answer for r in records] == ["Passage 0.", "Passage 1.", "Passage 2."]
    assert records[1].context_id == "id0" and records[0].context_id is None
    assert (records[2].source["file"], records[2].source["pages"]) == ("book.pdf", "3")
    assert [r.id for r in saved] == ["id2", "id1", "id0"]  # saved as they finish
    assert (summary.generated, summary.tokens) == (3, 15)


def test_bad_replies_are_retried_with_a_new_seed_logged_then_flagged():
    engine = FakeEngine(["Why one?", "nothing", "What did the author mean?"], ["Why two?", "still nothing"], ["no"])
    records, summary, _, rejected = run(engine, passages(3), sampling=Sampling(seed=7), retries=2)
    assert [len(batch) for batch, _ in engine.seen] == [3, 2, 1]
    assert [s.seed for _, s in engine.seen] == [7, 7 + RETRY_SEED_STRIDE, 7 + 2 * RETRY_SEED_STRIDE]
    assert [r.question for r in records] == ["Why one?", "Why two?", ""]
    assert [r.flags for r in records] == [[], [], ["no_question", "not_a_question"]]
    assert [(r["id"], r["attempt"], r["reason"]) for r in rejected] == [
        ("id2", 1, "about_the_interview"), ("id1", 1, "not_a_question"), ("id2", 2, "not_a_question"), ("id2", 3, "not_a_question"),
    ]
    assert (summary.generated, summary.failed, sum(summary.rejected_replies.values())) == (2, 1, 4)


def test_rerun_reuses_matching_records_and_regenerates_changed_settings():
    first, *_ = run(FakeEngine(["Why one?", "Why two?"]), passages(2))
    existing = {r.id: r for r in first}
    # Same settings: nothing to do, and the engine is never started.
    records, summary, saved, _ = run(None, passages(2), existing=existing)
    assert records == first and saved == [] and summary.reused == 2
    # Another sampling setting: both are generated again.
    engine = FakeEngine(["How one?", "How two?"])
    records, summary, *_ = run(engine, passages(2), existing=existing, sampling=Sampling(temperature=0.2))
    assert [r.question for r in records] == ["How one?", "How two?"] and summary.generated == 2


def test_transcript_questions_are_kept_and_not_sent():
    items = passages(2)
    items[0] = Passage("id0", "Passage 0.", "talk.md", 1, 1, None, question="What was it like?")
    engine = FakeEngine(["Why two?"])
    records, *_ = run(engine, items)
    assert engine.seen[0][0] == ["before: Passage 0. | quote: Passage 1."]
    assert [(r.question, r.question_source) for r in records] == [("What was it like?", "transcript"), ("Why two?", "generated")]


@pytest.mark.parametrize(
    "reply, passage, expected",
    [
        ("Why did you go? What did you find there?", "", ("Why did you go?", None)),
        ("What does the passage say? Why did you go?", "", ("Why did you go?", None)),  # first usable one wins
        ("", "", (None, "empty")),
        ("I went because I had to.", "", (None, "not_a_question")),
        ("Why did you keep every letter that said no to you?", "I kept every letter that said no to you, all of them.", (None, "gives_answer_away")),
        ("Why did you keep the letters?", "I kept every letter that said no to you, all of them.", ("Why did you keep the letters?", None)),
    ],
)
def test_judge(reply, passage, expected):
    assert judge(reply, passage) == expected


def test_several_questions_per_passage_get_their_own_ids_and_resume():
    engine = FakeEngine(["Why a?", "How a?", "Why b?", "How b?"])
    records, *_ = run(engine, passages(2), per_passage=2)
    assert [(r.id, r.question, r.answer) for r in records] == [
        ("id0", "Why a?", "Passage 0."), ("id0.2", "How a?", "Passage 0."), ("id1", "Why b?", "Passage 1."), ("id1.2", "How b?", "Passage 1."),
    ]
    existing = {r.id: r for r in records if r.id != "id1.2"}
    again, summary, *_ = run(FakeEngine(["What b?"]), passages(2), per_passage=2, existing=existing)
    assert summary.reused == 3 and again[3].question == "What b?"


def test_persona_reaches_templates_that_ask_for_it():
    engine = FakeEngine(["Why?"])
    generate(passages(1), lambda: engine, Job(Template("To $persona: $passage"), persona="Agnes Tarrow"))
    assert engine.seen[0][0] == ["To Agnes Tarrow: Passage 0."]


@pytest.mark.parametrize(
    "text, chars, expected",
    [
        ("One. Two. Three.", 0, "One. Two. Three."),  # 0: all of it
        ("One. Two. Three.", 100, "One. Two. Three."),
        ("First sentence here. Second one. Third.", 20, "Second one. Third."),  # whole sentences only
        ("First sentence here. Second one. Third.", 10, "Third."),
        ("We sailed at dawn and nobody spoke until the harbour was gone", 20, "\u2026harbour was gone"),  # one long sentence: from a word
    ],
)
def test_context_is_the_end_of_the_previous_passage(text, chars, expected):
    assert context_tail(text, chars) == expected


def test_context_is_cut_to_its_last_sentences_in_the_prompt():
    items = [Passage("id0", "Early years. The boat. " + "x" * 20 + ". The storm came.", "b.pdf", 1, 1, None), *passages(2)[1:]]
    engine = FakeEngine(["Why?", "How?"])
    run(engine, items, context_chars=20)
    assert engine.seen[0][0][1] == "before: The storm came. | quote: Passage 1."


def test_every_setting_that_shapes_the_prompt_changes_the_key():
    base = Job(TEMPLATE)
    changed = [Job(Template("$passage?")), Job(TEMPLATE, Sampling(top_p=0.5)), Job(TEMPLATE, model="other"), Job(TEMPLATE, persona="Ann"), Job(TEMPLATE, context_chars=10)]
    assert len({base.key, *(job.key for job in changed)}) == 6
    assert Job(TEMPLATE, retries=5, per_passage=3, prompt="renamed").key == base.key  # not the question's inputs


def test_a_template_asking_for_an_unknown_variable_fails_at_once():
    with pytest.raises(MissingVariables, match=r"\$chapter"):
        Job(Template("$chapter: $passage"))
