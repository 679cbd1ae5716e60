from synth.dataset import stats
from voicetune.records import Record


def record(rid: str, question: str, answer: str = "The sea was cold that winter.", **kwargs) -> Record:
    return Record(rid, question, answer, {"file": "b.pdf"}, **kwargs)


def test_counts_by_status_list_every_status_and_flags_as_found():
    records = [record("1", "Q?", status="accepted"), record("2", "Q?"), record("3", "", flags=["no_question", "empty"])]
    assert stats.status_counts(records) == {"pending": 2, "accepted": 1, "rejected": 0, "edited": 0}
    assert stats.flag_counts(records) == {"no_question": 1, "empty": 1}


def test_histogram_bins_cover_the_range_with_proportional_bars():
    rows = stats.histogram([10, 11, 19, 30], bins=3, width=10)
    assert [row.split()[:2] for row in rows] == [["10-16", "2"], ["17-23", "1"], ["24-30", "1"]]
    assert rows[0].endswith("#" * 10) and rows[1].endswith("#" * 5)
    assert stats.histogram([]) == ["  (none)"]


def test_near_duplicates_by_word_overlap_most_similar_first():
    records = [
        record("a", "Why did you leave the island?"),
        record("b", "Why did you leave the island?"),
        record("c", "Why did you leave the island, then?"),
        record("d", "What did your mother cook?"),
        record("e", ""),
        record("f", ""),  # empty questions are not duplicates of each other
    ]
    pairs = stats.near_duplicates(records)
    assert [(a.id, b.id) for _, a, b in pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert pairs[0][0] == 1.0 and 0.7 < pairs[1][0] < 1.0


def test_worth_a_look_ranks_pending_records_by_how_many_problems_they_have():
    records = [
        record("ok", "What did your father do for a living?"),
        record("flagged", "", flags=["no_question", "not_a_question"]),
        record("short", "Why?"),
        record("echo", "Was the sea cold that winter?"),
        record("done", "Why not?", status="accepted"),
    ]
    looks = stats.worth_a_look(records, stats.near_duplicates(records))
    assert [look.record.id for look in looks] == ["flagged", "short", "echo"]
    assert looks[0].reasons == ["flag no_question", "flag not_a_question", "no question"]
    assert looks[1].reasons == ["question check: shell_question", "short question (4 chars)"]
    assert looks[2].reasons[0].startswith("question echoes the answer")


def test_report_has_every_section():
    records = [record("a", "Why did you leave the island?"), record("b", "Why did you leave the island?", status="rejected")]
    text = stats.report(records)
    for part in ("By status: pending 1, accepted 0, rejected 1, edited 0", "By flag: none", "Question length", "Answer length",
                 "1 pairs", "Worth a look first: 1 pending records", "near-duplicate question"):
        assert part in text, part


def test_words_are_read_in_any_script_with_inner_apostrophes():
    from voicetune.words import words

    assert words("Why did you leave Genève, Mr. Jones’s farm?") == ["why", "did", "you", "leave", "genève", "mr", "jones's", "farm"]
    assert words("Étiez-vous à Zürich en 1968 ?") == ["étiez", "vous", "à", "zürich", "en", "1968"]


def test_questions_in_other_scripts_are_not_all_duplicates_of_each_other():
    # With ASCII-only words these had no words at all, and any two counted as 100% duplicates.
    pairs = stats.near_duplicates([record("a", "Почему вы ушли в море?"), record("b", "Когда вы вернулись домой?"), record("c", "Почему вы ушли в море?")])
    assert [(a.id, b.id) for _, a, b in pairs] == [("a", "c")]


def test_conversations_are_counted_with_the_turns_training_can_use():
    turns = [record(f"c.{k}", f"Why {k}?", conversation="c", position=k, status="rejected" if k == 2 else "pending") for k in (1, 2, 3)]
    counts = stats.conversation_counts(turns + [record("s", "Why s?")])
    assert counts == stats.Conversations(2, {1: 1, 3: 1}, usable_turns=2)  # c.1 and s; c.3 follows a rejected turn
    assert "Conversations: 2 (1 of 1 turn, 1 of 3 turns); 2 turns usable for training" in stats.report(turns + [record("s", "Why s?")])
    assert "Conversations:" not in stats.report([record("s", "Why s?"), record("t", "Why t?")])  # single-turn files unchanged


def test_specificity_is_reported_as_recall_at_1_and_mrr_least_specific_first():
    records = [
        record("a", "Why did you sail to Tromsø in 1961?", specificity=1.0),
        record("b", "How did it feel?", specificity=0.05),
        record("c", "What did your mother say?", specificity=0.5),
        record("d", "Who are you?"),  # no score (failed, edited, or made without the ranker): counts 0, as in the bench
    ]
    scored = stats.retrieval(records)
    assert (scored.count, scored.recall_at_1, round(scored.mrr, 4), scored.unscored) == (4, 1 / 4, round(1.55 / 4, 4), 1)
    assert [r.id for r in stats.least_specific(records)] == ["b", "c"]
    text = stats.report(records)
    assert "over all 4 records, 1 without a score counted 0): recall@1 0.25, MRR 0.39" in text
    assert text.index("rank  20  b:") < text.index("rank   2  c:")
    assert "question points to other passages (its own ranks 20)" in text


def test_conversations_are_counted_by_their_turns():
    turns = [record(f"t{i}", f"Q{i}?", conversation="t0", position=i + 1) for i in range(3)] + [record("s", "Q?")]
    assert "Conversations: 2 (1 of 1 turn, 1 of 3 turns); 4 turns usable" in stats.report(turns)
    assert "Conversations" not in stats.report([record("s", "Q?")])


def test_question_checks_are_judged_now_and_counted():
    records = [
        record("good", "Why did you go to sea that winter?"),
        record("author", "Why did I go to sea?", flags=["asks_as_author"]),
        record("quiz", "What do you call the sea in winter?"),
        record("none", "", flags=["no_question"]),
    ]
    text = stats.report(records)
    assert "Question checks: 1 of 4 records have a question that passes every check; failed: asks_as_author 1, quiz_question 1" in text
    looks = {look.record.id: look.reasons for look in stats.worth_a_look(records, [])}
    assert looks["quiz"] == ["question check: quiz_question"]
    assert looks["author"] == ["flag asks_as_author"]  # said once, by its flag
