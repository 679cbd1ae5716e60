"""How likely each model finds the author's own words: the mean per-token negative log-likelihood of
each held-out passage given its question, in the training format (system prompt, ChatML, the
closing `<|im_end|>` included, exactly the tokens training puts a loss on).

No generation, so no sampling and no engine: a forward pass through transformers, deterministic.
A multi-turn interview's turn is scored given the conversation before it (its held-out turns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from voicetune import chat
from voicetune.records import Record, conversations
from train.data.chatml import IGNORE, Example, Message, render_segments

BATCH = 4  # rows per forward pass: logits are rows x tokens x vocabulary floats


@dataclass(frozen=True)
class Scored:
    nll: float  # mean over the scored tokens, in nats
    tokens: int


def turns(held_out: Sequence[Record], system: str | None) -> list[tuple[Record, list[Message]]]:
    """Each record with the conversation that ends in its answer, in held_out's order."""
    by_id: dict[str, list[Message]] = {}
    for interview in conversations(held_out):
        for k, record in enumerate(interview, start=1):
            by_id[record.id] = chat.of_records(interview[:k], system)
    return [(r, by_id[r.id]) for r in held_out]


def last_turn_example(record_id: str, messages: Sequence[Message], tokenizer) -> Example:
    """(input_ids, labels) with labels on the last assistant turn only: the earlier turns are context."""
    segments = render_segments(messages, tokenizer)
    last = max(i for i, (_, trained) in enumerate(segments) if trained)
    input_ids: list[int] = []
    labels: list[int] = []
    for i, (text, _) in enumerate(segments):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        input_ids += ids
        labels += ids if i == last else [IGNORE] * len(ids)
    return Example(record_id, input_ids, labels)


def score_examples(model, examples: Sequence[Example], pad_id: int, batch: int = BATCH) -> list[Scored]:
    """Mean NLL of each example's labelled tokens under `model` (a causal LM), batched, in input order."""
    import torch

    results: list[Scored | None] = [None] * len(examples)
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))  # less padding
    with torch.no_grad():
        for start in range(0, len(order), batch):
            rows = [examples[i] for i in order[start : start + batch]]
            width = max(len(e.input_ids) for e in rows)
            ids = torch.tensor([e.input_ids + [pad_id] * (width - len(e.input_ids)) for e in rows])
            labels = torch.tensor([e.labels + [IGNORE] * (width - len(e.labels)) for e in rows])
            mask = torch.tensor([[1] * len(e.input_ids) + [0] * (width - len(e.input_ids)) for e in rows])
            logits = model(input_ids=ids.to(model.device), attention_mask=mask.to(model.device)).logits.float()
            target = labels[:, 1:].to(logits.device)
            losses = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), target, ignore_index=IGNORE, reduction="none")
            counts = (target != IGNORE).sum(1)
            for j, i in enumerate(order[start : start + batch]):
                results[i] = Scored(float(losses[j].sum() / counts[j]), int(counts[j]))
    return results  # type: ignore[return-value]


def score(model_path: str, held_out: Sequence[Record], system: str | None, *, log=print) -> list[Scored]:
    """Every held-out record's mean per-token NLL under the model in model_path (float32 on a CPU)."""
    import torch
    from transformers import AutoModelForCausalLM

    from voicetune.models import compute_dtype
    from train.model.qlora import load_tokenizer

    tokenizer, added = load_tokenizer(model_path)
    examples = [last_turn_example(r.id, messages, tokenizer) for r, messages in turns(held_out, system)]
    dtype = compute_dtype() if torch.cuda.is_available() else torch.float32  # CPU: exact sums, and fast enough
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype, device_map="cuda" if torch.cuda.is_available() else "cpu").eval()
    if added:  # a base without ChatML tokens: the tuned model learnt them, the base meets them new
        model.resize_token_embeddings(len(tokenizer))
    log(f"Likelihood of {len(examples)} held-out passages under {model_path} ...")
    scored = score_examples(model, examples, tokenizer.pad_token_id)
    del model
    if torch.cuda.is_available():  # the vLLM engine that generates next needs the memory
        torch.cuda.empty_cache()
    return scored
