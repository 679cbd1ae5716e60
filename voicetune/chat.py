"""The one place chat messages are built: interview turns -> OpenAI-style messages, and back.

Training (train/data/chatml.py), evaluation, `train chat`/`ask` and `synth export` all call these, so
a model is asked questions in exactly the shape it was trained on.
"""

from __future__ import annotations

from typing import Any, Sequence

Message = dict[str, str]
Turn = tuple[str, str]  # (question, answer)


class NotAConversation(ValueError):
    """Messages that are not [system?] (user, assistant)+; the message says what is wrong."""


def conversation(turns: Sequence[Turn], system: str | None = None) -> list[Message]:
    """[system] user assistant user assistant ...: what training sees and export writes."""
    messages = [{"role": "system", "content": system}] if system else []
    for question, answer in turns:
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return messages


def prompt(question: str, system: str | None = None, history: Sequence[Turn] = ()) -> list[Message]:
    """The conversation so far and a new question, for the model to answer."""
    return conversation(history, system) + [{"role": "user", "content": question}]


def of_records(records: Sequence[Any], system: str | None = None) -> list[Message]:
    """A conversation's records (anything with .question and .answer), in turn order."""
    return conversation([(r.question, r.answer) for r in records], system)


def parse(messages: Any) -> tuple[str | None, list[Turn]]:
    """(system, turns) of OpenAI-style messages made by any tool: an optional system message,
    then user/assistant pairs, ending with the assistant. NotAConversation otherwise."""
    if not isinstance(messages, list) or not messages:
        raise NotAConversation("`messages` is not a non-empty list")
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise NotAConversation(f"a message is not {{'role': str, 'content': str}}: {str(m)[:80]}")
    system = messages[0]["content"] if messages[0]["role"] == "system" else None
    rest = messages[1:] if system is not None else messages
    roles = [m["role"] for m in rest]
    if len(rest) % 2 or roles != ["user", "assistant"] * (len(rest) // 2):
        raise NotAConversation(f"roles {' '.join(roles)}: expected an optional system message, then user/assistant pairs ending with the assistant")
    return system, [(rest[i]["content"], rest[i + 1]["content"]) for i in range(0, len(rest), 2)]
