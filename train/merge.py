"""Adapter + bf16 base -> one merged model that stops at <|im_end|>, and a first answer from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from synth.models import CHATML_EOS, compute_dtype, dtype_name
from train import model as qlora


class MergeMismatch(RuntimeError):
    pass


@dataclass(frozen=True)
class MergeCheck:
    """The merged model's next-token distributions against the trained adapter's, both in float32
    on one device, at every position of the held-out conversations."""

    prompts: int
    positions: int
    dtype: str  # what both models computed in
    device: str
    top1: float  # share of positions where merged and unmerged pick the same next token
    kl: float  # mean KL(unmerged || merged), nats per position: rounding of the saved weights only
    kl_adapter: float  # mean KL(unmerged || base without adapter): how far training moved the model

    def __str__(self) -> str:
        return (f"merge check on {self.prompts} held-out conversations ({self.positions} positions, {self.dtype} on {self.device}):"
                f" same next token at {self.top1:.1%} of positions, KL {self.kl:.2e} nats vs base + adapter unmerged"
                f" (training moved the base by {self.kl_adapter:.2e})")


@dataclass(frozen=True)
class Reply:
    text: str
    tokens: int
    stopped: bool  # ended with the eos token, not at the token limit



# The merge check's limits. Measured on 2 CPU cores (Intel, AMX), the embedded SmolLM2-135M,
# float32, 2026-11-25 -- see tests/test_real_engines.py and tests/test_train_real_book.py:
#   MERGE_MEASUREMENTS
MIN_TOP1 = 0.97
MAX_KL = 0.01  # nats per position


def merge(base: str, adapter: Path, tokenizer, out: Path) -> Path:
    """Merge in bf16 on this process's device (the GPU where there is one) and save bf16."""
    from transformers import GenerationConfig

    model = qlora.load_with_adapter(base, str(adapter), tokenizer).merge_and_unload()
    eos = tokenizer.convert_tokens_to_ids(CHATML_EOS)
    model.config.eos_token_id = eos
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def check(base: str, adapter: Path, merged: Path, tokenizer, conversations: list[list[dict]], *,
          min_top1: float = MIN_TOP1, max_kl: float = MAX_KL) -> MergeCheck:
    """Compare the merged model with base + adapter unmerged on `conversations` (held-out ones,
    answers included: every position counts). Both run in float32 on the same device, so the only
    difference left is the rounding of the merged weights to bf16 when saved: a right merge agrees
    on the next token almost everywhere with a KL near zero; a wrong one (another base, a missing
    or mis-scaled layer) does not. Raises MergeMismatch when it does not agree."""
    from transformers import AutoModelForCausalLM

    where, dtype = qlora.device(), torch.float32
    ids = [tokenizer.apply_chat_template(c, return_tensors="pt", return_dict=True)["input_ids"] for c in conversations]
    model = AutoModelForCausalLM.from_pretrained(merged, dtype=dtype, device_map=qlora.device_map(where))
    merged_logits = _logits(model, ids)
    del model
    release()
    model = qlora.load_with_adapter(base, str(adapter), tokenizer, dtype=dtype, where=where)
    unmerged = _logits(model, ids)
    with model.disable_adapter():
        untrained = _logits(model, ids)
    del model
    release()
    top1, kl = agreement(unmerged, merged_logits)
    result = MergeCheck(len(ids), unmerged.shape[0], dtype_name(dtype), where, top1, kl, agreement(unmerged, untrained)[1])
    if top1 < min_top1 or kl > max_kl:
        raise MergeMismatch(f"{result}: needs at least {min_top1:.0%} and at most {max_kl} nats; the merged model in {merged}"
                            " is not the trained one: check that base and adapter match (same base, same added tokens)")
    return result


def release() -> None:
    """Give the memory of deleted models back before the next one loads (a 7B base in float32
    is 28 GB: two at once may not fit a GPU)."""
    import gc

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def agreement(reference: torch.Tensor, other: torch.Tensor) -> tuple[float, float]:
    """(share of rows with the same argmax, mean KL(reference || other) in nats) of two
    [positions, vocabulary] logit tensors."""
    top1 = (reference.argmax(-1) == other.argmax(-1)).float().mean().item()
    log_p, log_q = reference.float().log_softmax(-1), other.float().log_softmax(-1)
    kl = (log_p.exp() * (log_p - log_q)).sum(-1).clamp(min=0).mean().item()
    return top1, kl


def _logits(model, prompts: list[torch.Tensor]) -> torch.Tensor:
    """Every position's next-token logits, in float32, all prompts one after another."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(input_ids=on_device(ids, model), use_cache=False).logits[0].float().cpu() for ids in prompts])


def on_device(tensor: torch.Tensor, model) -> torch.Tensor:
    """Inputs go where the model's weights are (its first parameter's device)."""
    return tensor.to(next(model.parameters()).device)


def keep_eos(penalty: float, eos: int):
    """transformers' repetition penalty, except for the eos token: a ChatML prompt holds an
    <|im_end|> after every message, so the plain penalty pushes the model away from ending its
    answer, and a lightly trained model runs on to the token limit."""
    from transformers import RepetitionPenaltyLogitsProcessor

    plain = RepetitionPenaltyLogitsProcessor(penalty)

    def process(input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        eos_scores = scores[:, eos].clone()
        scores = plain(input_ids, scores)
        scores[:, eos] = eos_scores
        return scores

    return process


class Chat:
    """A merged model loaded once, on this process's device, and the conversation so far: each
    question is asked after the earlier questions and answers."""

    def __init__(self, model_dir: Path | str, system: str | None = None, max_new_tokens: int = 256):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=compute_dtype(), device_map=qlora.device_map())
        self.model.eval()
        self.max_new_tokens = max_new_tokens
        self.messages: list[dict] = [{"role": "system", "content": system}] if system else []

    def ask(self, question: str) -> Reply:
        from transformers import LogitsProcessorList

        messages = self.messages + [{"role": "user", "content": question}]
        inputs = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        inputs = {k: on_device(v, self.model) for k, v in inputs.items()}
        eos = self.model.generation_config.eos_token_id
        eos = eos[0] if isinstance(eos, list) else eos
        with torch.no_grad():
            output = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                         logits_processor=LogitsProcessorList([keep_eos(1.1, eos)]))
        new = output[0, inputs["input_ids"].shape[1] :]
        stopped = len(new) > 0 and int(new[-1]) == eos
        reply = Reply(self.tokenizer.decode(new, skip_special_tokens=True).strip(), len(new), stopped)
        self.messages = messages + [{"role": "assistant", "content": reply.text}]
        return reply


def ask(model_dir: Path | str, question: str, system: str | None = None, max_new_tokens: int = 256) -> Reply:
    return Chat(model_dir, system, max_new_tokens).ask(question)
