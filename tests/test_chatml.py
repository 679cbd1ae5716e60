import pytest
import torch

from train.data.chatml import IGNORE, NoTrainableTokens, render_segments, to_messages, tokenize
from train.data.collate import PadCollator


class CharTokenizer:
    """One token per character, ChatML template: masks can be checked on literal ids."""

    eos_token = "<|im_end|>"

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False):
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")

    def __call__(self, text, add_special_tokens=False):
        ids, i = [], 0
        while i < len(text):
            for special, sid in (("<|im_start|>", 1), ("<|im_end|>", 2)):
                if text.startswith(special, i):
                    ids.append(sid)
                    i += len(special)
                    break
            else:
                ids.append(ord(text[i]))
                i += 1
        return {"input_ids": ids}


def test_only_the_answer_and_its_end_token_are_trained():
    example = tokenize("r1", to_messages("Q?", "Ab", "S"), CharTokenizer())
    nl = ord("\n")
    system = [1, *map(ord, "system"), nl, ord("S"), 2, nl]
    user = [1, *map(ord, "user"), nl, ord("Q"), ord("?"), 2, nl]
    header = [1, *map(ord, "assistant"), nl]
    assert example.input_ids == system + user + header + [ord("A"), ord("b"), 2, nl]
    assert example.labels == [IGNORE] * len(system + user + header) + [ord("A"), ord("b"), 2, IGNORE]
    assert example.trained_tokens == 3


def test_every_assistant_turn_of_a_multi_turn_conversation_is_trained():
    messages = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "B"},
        {"role": "user", "content": "c"},
        {"role": "assistant", "content": "D"},
    ]
    example = tokenize("r", messages, CharTokenizer())
    trained = [t for t, label in zip(example.input_ids, example.labels) if label != IGNORE]
    assert trained == [ord("B"), 2, ord("D"), 2]


def test_a_record_with_nothing_to_train_is_an_error_naming_it():
    with pytest.raises(NoTrainableTokens, match="rec-7"):
        tokenize("rec-7", [{"role": "user", "content": "only a question"}], CharTokenizer())


def test_real_tokenizer_masks_match_its_own_rendering(tokenizer):
    messages = to_messages("Why did you go to sea?", "Because the engine room was the only place I felt at home.", "You are Agnes.")
    example = tokenize("r", messages, tokenizer)
    whole = tokenizer(tokenizer.apply_chat_template(messages, tokenize=False), add_special_tokens=False)["input_ids"]
    assert example.input_ids == whole
    trained = [t for t, label in zip(example.input_ids, example.labels) if label != IGNORE]
    assert tokenizer.decode(trained) == "Because the engine room was the only place I felt at home.<|im_end|>"
    assert render_segments(messages, tokenizer)[1] == ("Because the engine room was the only place I felt at home.<|im_end|>", True)


def test_collator_pads_right_and_keeps_eos_label_even_when_pad_is_eos():
    batch = PadCollator(pad_token_id=2)([{"input_ids": [5, 6, 2], "labels": [IGNORE, 6, 2]}, {"input_ids": [7], "labels": [7]}])
    assert batch["input_ids"].tolist() == [[5, 6, 2], [7, 2, 2]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch["labels"].tolist() == [[IGNORE, 6, 2], [7, IGNORE, IGNORE]]
    assert batch["input_ids"].dtype == torch.long


def test_real_tokenizer_trains_every_answer_of_a_conversation_and_nothing_else(tokenizer):
    from voicetune.chat import conversation

    turns = [("Why did you go to sea?", "The engine room felt like home."), ("And your mother?", "She wept at the quay."),
             ("Did you go back?", "Every winter, for forty years.")]
    example = tokenize("c", conversation(turns, "You are Agnes."), tokenizer)
    runs, current = [], []
    for token, label in zip(example.input_ids, example.labels):
        if label != IGNORE:
            current.append(token)
        elif current:
            runs.append(tokenizer.decode(current))
            current = []
    runs += [tokenizer.decode(current)] if current else []
    assert runs == [f"{answer}<|im_end|>" for _, answer in turns]
