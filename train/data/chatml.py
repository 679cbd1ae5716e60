"""Records -> ChatML conversations -> (input_ids, labels), with the loss mask built here.

Only the assistant's words and the `<|im_end|>` that closes them are trained (labels = token
ids); the system prompt, the question and the `<|im_start|>assistant\\n` header are masked
(labels = -100). The mask is computed by rendering the chat template turn by turn, so it is
right for any template whose renderings of a conversation's prefixes are prefixes of each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from voicetune.chat import Message, conversation

IGNORE = -100


@dataclass(frozen=True)
class Example:
    id: str
    input_ids: list[int]
    labels: list[int]

    @property
    def trained_tokens(self) -> int:
        return sum(label != IGNORE for label in self.labels)


class NoTrainableTokens(ValueError):
    pass


def to_messages(question: str, answer: str, system: str | None = None) -> list[Message]:
    """A single-turn conversation (voicetune/chat.py builds every conversation)."""
    return conversation([(question, answer)], system)


def render_segments(messages: Sequence[Message], tokenizer) -> list[tuple[str, bool]]:
    """The rendered conversation cut into (text, trained) pieces.

    Each assistant turn's piece is what the template adds for it after the generation prompt:
    its content and end-of-turn marker. Anything after the eos token in that piece (ChatML's
    trailing newline) is left untrained.
    """
    segments: list[tuple[str, bool]] = []
    done = ""
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = tokenizer.apply_chat_template(list(messages[:i]), tokenize=False, add_generation_prompt=True)
        full = tokenizer.apply_chat_template(list(messages[: i + 1]), tokenize=False)
        if not (prompt.startswith(done) and full.startswith(prompt)):
            raise ValueError("the chat template does not render conversations prefix by prefix; cannot build the loss mask")
        reply = full[len(prompt) :]
        cut = reply.find(tokenizer.eos_token)
        cut = len(reply) if cut < 0 else cut + len(tokenizer.eos_token)
        segments += [(prompt[len(done) :], False), (reply[:cut], True), (reply[cut:], False)]
        done = full
    return [(text, trained) for text, trained in segments if text]


def tokenize(record_id: str, messages: Sequence[Message], tokenizer) -> Example:
    input_ids: list[int] = []
    labels: list[int] = []
    for text, trained in render_segments(messages, tokenizer):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        input_ids += ids
        labels += ids if trained else [IGNORE] * len(ids)
    example = Example(record_id, input_ids, labels)
    if example.trained_tokens == 0:
        raise NoTrainableTokens(f"record {record_id} has no assistant tokens to train on")
    return example
