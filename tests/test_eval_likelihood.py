"""The likelihood metric on literal records and a tiny random model: which tokens are scored, in
which context, and that batching and padding do not change a record's number."""

import pytest

from voicetune.records import Record
from train.eval import likelihood
from train.data.chatml import IGNORE

SYSTEM = "You are Agnes."


def scored_text(example, tokenizer) -> str:
    return tokenizer.decode([t for t, label in zip(example.input_ids, example.labels) if label != IGNORE])


def test_a_single_turn_scores_exactly_the_answer_and_its_end_marker(tokenizer):
    record = Record("a", "Where did you grow up?", "By the harbour, in the cold.", {})
    (_, messages), = likelihood.turns([record], SYSTEM)
    example = likelihood.last_turn_example("a", messages, tokenizer)
    assert scored_text(example, tokenizer) == "By the harbour, in the cold.<|im_end|>"
    assert SYSTEM in tokenizer.decode(example.input_ids)


def test_a_later_turn_is_scored_given_the_turns_before_it_and_only_itself(tokenizer):
    second = Record("b", "Why there?", "My father fished.", {}, conversation="c1", position=2)
    first = Record("a", "Where did you grow up?", "By the harbour.", {}, conversation="c1", position=1)
    alone = Record("z", "Any regrets?", "None.", {})
    pairs = likelihood.turns([second, alone, first], SYSTEM)
    assert [r.id for r, _ in pairs] == ["b", "z", "a"]  # the caller's order
    example = likelihood.last_turn_example("b", pairs[0][1], tokenizer)
    assert scored_text(example, tokenizer) == "My father fished.<|im_end|>"
    context = tokenizer.decode(example.input_ids)
    assert context.index("Where did you grow up?") < context.index("By the harbour.") < context.index("Why there?")
    assert "Any regrets" not in context  # another interview is not context
    first_example = likelihood.last_turn_example("a", pairs[2][1], tokenizer)
    assert "Why there?" not in tokenizer.decode(first_example.input_ids)  # no peeking at later turns


@pytest.fixture(scope="module")
def tiny_model():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=50, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4)
    return LlamaForCausalLM(config).eval()


def test_scores_match_the_models_own_loss_alone_and_in_a_padded_batch(tiny_model):
    import torch

    from train.data.chatml import Example

    examples = [
        Example("short", [1, 5, 6, 7, 8], [IGNORE, IGNORE, IGNORE, 7, 8]),
        Example("long", [1, 9, 9, 4, 3, 2, 11, 12, 13, 14, 15], [IGNORE] * 6 + [11, 12, 13, 14, 15]),
        Example("middle", [2, 3, 4, 5, 6, 7, 8], [IGNORE] * 4 + [6, 7, 8]),
    ]
    batched = likelihood.score_examples(tiny_model, examples, pad_id=0, batch=3)
    for example, scored in zip(examples, batched):
        with torch.no_grad():
            expected = tiny_model(input_ids=torch.tensor([example.input_ids]), labels=torch.tensor([example.labels])).loss.item()
        assert scored.nll == pytest.approx(expected, abs=1e-5), example.id
        assert scored.tokens == sum(label != IGNORE for label in example.labels) - (example.labels[0] != IGNORE)
    alone = likelihood.score_examples(tiny_model, examples, pad_id=0, batch=1)
    assert [s.nll for s in alone] == pytest.approx([s.nll for s in batched], abs=1e-5)
