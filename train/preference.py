"""The preference stage after SFT: DPO on (the author's passage, the base model's answer) pairs,
continuing the SFT adapter with LoRA on the same 4-bit base, with the same Trainer.

Each pair is one packed row: the chosen conversation, then the rejected one (the same prompt,
token for token: both are rendered by chatml.tokenize, and so is SFT's), positions restarting
between them, so attention stays inside each side (packing.py). Only the last answer of each
side is trained (the chosen answer's tokens and its `<|im_end|>`; the rejected answer's text only, cut to
the chosen answer's length in tokens), and as in SFT the output head runs only there.

    loss = -logsigmoid(beta * ((pi_c - ref_c) - (pi_r - ref_r))) + sft_weight * NLL(chosen per token)

pi = summed log-probabilities of a side's answer under the model being trained; ref = the same
under the SFT adapter before this stage, computed once before training with the same model in
eval mode (no second model in memory, on a GPU or a CPU). The NLL term (RPO) keeps the
likelihood of the author's words from falling while the margin grows. Dropout is off in this
stage, so pi = ref at the first step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from train import fit
from train.config import TrainConfig
from train.data import packing
from train.data.chatml import IGNORE, Example, tokenize
from train.data.collate import PadCollator
from train.model import qlora
from voicetune import files
from voicetune.conversations import Pair

METHODS = ("dpo",)
OWN_ANSWERS = "own_answers.jsonl"  # in the stage's folder: the SFT model's answers, the rejected side with --rejected own


@dataclass(frozen=True)
class PairExample:
    id: str
    conversation: str  # the conversation id: the split is by conversation, as in SFT
    chosen: Example
    rejected: Example

    def row(self) -> dict:
        """One packed row: chosen then rejected; `side` says which (0, 1) each token belongs to."""
        pack = packing.pack([self.chosen], len(self.chosen.input_ids))[0]
        other = packing.pack([self.rejected], len(self.rejected.input_ids))[0]
        return {"input_ids": pack.input_ids + other.input_ids, "labels": pack.labels + other.labels,
                "position_ids": pack.position_ids + other.position_ids,
                "side": [0] * len(pack.input_ids) + [1] * len(other.input_ids)}


def last_answer_only(example: Example) -> Example:
    """Labels of every turn but the last masked: a pair prefers one last answer over another."""
    labels = list(example.labels)
    end = max(i for i, label in enumerate(labels) if label != IGNORE)
    start = end
    while start > 0 and labels[start - 1] != IGNORE:
        start -= 1
    return Example(example.id, example.input_ids, [IGNORE] * start + labels[start:])


def trained_tokens(example: Example) -> int:
    return sum(label != IGNORE for label in example.labels)


def rejected_side(example: Example, chosen: Example, end_id: int) -> Example:
    """The rejected answer scored on its text only, and on at most as many tokens as the chosen
    answer's text: the pair then prefers the author's words, neither an answer's length nor whether
    the base model stopped (its `<|im_end|>` pushed down teaches the model to stop less; a cut answer
    never ended at all)."""
    start = next(i for i, label in enumerate(example.labels) if label != IGNORE)
    last = max(i for i, label in enumerate(example.labels) if label != IGNORE)
    text = last if example.input_ids[last] == end_id else last + 1  # where the answer's text ends
    end = min(text, start + trained_tokens(chosen) - 1)  # the chosen side's tokens less its end marker
    return Example(example.id, example.input_ids[:end], example.labels[:end])


def tokenize_pair(pair: Pair, tokenizer, system: str | None) -> PairExample:
    chosen = last_answer_only(tokenize(pair.id, pair.conversation.messages(system), tokenizer))
    rejected = last_answer_only(tokenize(pair.id, pair.prompt(system) + [{"role": "assistant", "content": pair.rejected}], tokenizer))
    return PairExample(pair.id, pair.conversation.id, chosen, rejected_side(rejected, chosen, tokenizer.eos_token_id))


def with_own_answers(model: Path, found: list[Pair], system: str | None, out: Path, *, log=print) -> list[Pair]:
    """The rejected side as the SFT model's own greedy answer to each prompt (SPIN, Chen et al. 2024:
    the author's words over what the tuned model says now, its loops and drift included), generated
    as `train eval` answers (vLLM, the same sampling) and kept in out/own_answers.jsonl. A blank
    answer makes no pair, as in `synth pairs`."""
    from train.eval import answers

    out.mkdir(parents=True, exist_ok=True)
    made = answers.generate(str(model), [p.prompt(system) for p in found], answers.sampling(), log=log, log_file=out / "own_answers.log")
    files.write_text(out / OWN_ANSWERS, "".join(json.dumps({"id": p.id, "rejected": g.text, "stopped": g.finished, "tokens": g.tokens},
                                                           ensure_ascii=False) + "\n" for p, g in zip(found, made)))
    return [replace(p, rejected=g.text, stopped=g.finished) for p, g in zip(found, made) if g.text.strip()]


def split(pairs: list[PairExample], train_ids: set[str], held_out_ids: set[str]) -> tuple[list[PairExample], list[PairExample]]:
    """The SFT split, by conversation: a held-out conversation's pairs are never trained on."""
    return [p for p in pairs if p.conversation in train_ids], [p for p in pairs if p.conversation in held_out_ids]


class PairCollator:
    """Packed pair rows padded, or joined into one padding-free row (`flatten`), with
    `segment` = 2 * pair + side for every token and each pair's reference log-probs."""

    def __init__(self, pad_token_id: int, flatten: bool = False):
        self.pad = PadCollator(pad_token_id, flatten)

    def __call__(self, batch: list[dict]) -> dict[str, torch.Tensor]:
        out = self.pad([{k: item[k] for k in ("input_ids", "labels", "position_ids")} for item in batch])
        segments = [[2 * b + s for s in item["side"]] for b, item in enumerate(batch)]
        if self.pad.flatten:
            out["segment"] = torch.tensor([[s for row in segments for s in row]])
        else:
            width = out["input_ids"].shape[1]
            out["segment"] = torch.tensor([row + [2 * b] * (width - len(row)) for b, row in enumerate(segments)])
        out["reference"] = torch.tensor([item["reference"] for item in batch], dtype=torch.float32)
        return out


def answer_logps(model, inputs: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(chosen, rejected, chosen tokens): per pair, the summed log-probs of each side's trained
    tokens. Logits only where the next token is trained (as fit.assistant_loss_trainer)."""
    targets = inputs["labels"][:, 1:]
    keep = (targets != IGNORE).any(0).nonzero().squeeze(-1)
    outputs = model(input_ids=inputs["input_ids"], position_ids=inputs["position_ids"], logits_to_keep=keep, use_cache=False)
    picked = targets[:, keep].reshape(-1)
    token_logps = -torch.nn.functional.cross_entropy(
        outputs.logits.float().reshape(-1, outputs.logits.shape[-1]), picked, ignore_index=IGNORE, reduction="none")
    segment = inputs["segment"][:, 1:][:, keep].reshape(-1)
    pairs = inputs["reference"].shape[0]
    sums = torch.zeros(2 * pairs, device=token_logps.device).index_add(0, segment, token_logps)
    counts = torch.zeros(2 * pairs, device=token_logps.device).index_add(0, segment, (picked != IGNORE).float())
    return sums[0::2], sums[1::2], counts[0::2]


def dpo_loss(chosen, rejected, reference, beta: float, sft_weight: float, chosen_tokens) -> tuple[torch.Tensor, dict]:
    """DPO's loss (plus the NLL of the chosen answers, per token, times sft_weight) and what to log."""
    reference = reference.to(chosen.device)
    margin = beta * ((chosen - reference[:, 0]) - (rejected - reference[:, 1]))
    nll = -chosen.sum() / chosen_tokens.sum().clamp(min=1)
    loss = -torch.nn.functional.logsigmoid(margin).mean() + sft_weight * nll
    return loss, {"margin": margin.mean().item(), "accuracy": (margin > 0).float().mean().item(), "chosen_nll": nll.item()}


def preference_trainer(beta: float, sft_weight: float):
    from transformers import Trainer

    class PreferenceTrainer(Trainer):
        stats: list[dict]

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            chosen, rejected, tokens = answer_logps(model, inputs)
            loss, stats = dpo_loss(chosen, rejected, inputs["reference"], beta, sft_weight, tokens)
            self.stats = [*getattr(self, "stats", []), stats]
            return (loss, {}) if return_outputs else loss  # no logits: evaluation reports the loss and the margin

        def log(self, logs, *args, **kwargs):
            seen = getattr(self, "stats", [])
            if seen:  # the mean since the last log: training steps, or a whole evaluation
                prefix = "eval_" if any(k.startswith("eval_") for k in logs) else ""
                logs = {**logs, **{prefix + k: sum(s[k] for s in seen) / len(seen) for k in seen[0]}}
                self.stats = []
            super().log(logs, *args, **kwargs)

    return PreferenceTrainer


@torch.no_grad()
def reference_logps(model, rows: list[dict], collator: PairCollator, batch: int) -> list[list[float]]:
    """[chosen, rejected] summed log-probs of every row under `model` as it is now (eval mode; on a
    GPU under the bf16/fp16 autocast training uses, so the margin starts at 0 there too)."""
    from voicetune.models import compute_dtype

    model.eval()
    found = []
    cuda = next(model.parameters()).device.type == "cuda"
    for start in range(0, len(rows), batch):
        inputs = collator([{**row, "reference": [0.0, 0.0]} for row in rows[start : start + batch]])
        inputs = {k: qlora.on_device(v, model) for k, v in inputs.items()}
        with torch.autocast("cuda", dtype=compute_dtype(), enabled=cuda):
            chosen, rejected, _ = answer_logps(model, inputs)
        found += [[c, r] for c, r in zip(chosen.tolist(), rejected.tolist())]
    model.train()
    return found


def train(config: TrainConfig, base: str, tokenizer, added_tokens: bool, sft_adapter: Path, train_pairs: list[PairExample],
          eval_pairs: list[PairExample], out: Path, *, callbacks=()):
    """Continue the SFT adapter with the preference loss; save it to out/adapter. Returns (trainer, per-epoch losses)."""
    from transformers import set_seed

    set_seed(config.seed)
    cuda = torch.cuda.is_available()
    model = qlora.load_trainable_adapter(base, sft_adapter, tokenizer, added_tokens, gradient_checkpointing=cuda)
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0  # pi = ref before the first step: the margin measures training alone
    model.config.use_cache = False
    # A step's pairs joined into one padding-free row on every device: the restarting positions keep
    # attention inside each side (sdpa's block-diagonal mask, flash-attention's variable-length path).
    collator = PairCollator(tokenizer.pad_token_id, flatten=True)
    rows = {name: [p.row() for p in side] for name, side in (("train", train_pairs), ("eval", eval_pairs))}
    for side in rows.values():
        for row, reference in zip(side, reference_logps(model, side, collator, config.batch_size)):
            row["reference"] = reference
    stage = replace(config, epochs=config.preference_epochs, learning_rate=config.preference_learning_rate, packing=False)
    trainer = preference_trainer(config.beta, config.sft_weight)(
        model=model,
        args=fit.training_arguments(stage, out),
        train_dataset=fit.as_dataset(rows["train"]),
        eval_dataset=fit.as_dataset(rows["eval"]),
        data_collator=collator,
        callbacks=list(callbacks),
    )
    trainer.model_accepts_loss_kwargs = False  # the loss is a mean per micro-batch: the Trainer divides by --grad-accum
    trainer.train()
    if trainer.is_world_process_zero():
        model.save_pretrained(out / "adapter")
        tokenizer.save_pretrained(out / "adapter")
        files.write_text(out / "log_history.json", json.dumps(trainer.state.log_history, indent=1) + "\n")  # margin, accuracy per step
    return trainer, fit.epoch_losses(trainer.state.log_history)
