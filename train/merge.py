"""Adapter + bf16 base -> one merged model that stops at <|im_end|>, and a first answer from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from synth.models import CHATML_EOS, compute_dtype
from train import model as qlora


class MergeMismatch(RuntimeError):
    pass


@dataclass(frozen=True)
class MergeCheck:
    prompts: int
    max_diff: float  # next-token logits, merged vs bf16 base + adapter unmerged: bf16 rounding only
    max_diff_4bit: float  # merged vs the 4-bit base + adapter it was trained as: adds NF4 rounding

    def __str__(self) -> str:
        return (f"merge check on {self.prompts} held-out prompts: largest next-token logit difference {self.max_diff:.4f}"
                f" vs base + adapter unmerged (bf16), {self.max_diff_4bit:.4f} vs the 4-bit training model")


@dataclass(frozen=True)
class Reply:
    text: str
    tokens: int
    stopped: bool  # ended with the eos token, not at the token limit


def merge(base: str, adapter: Path, tokenizer, out: Path) -> Path:
    from transformers import GenerationConfig

    model = qlora.load_with_adapter(base, str(adapter), tokenizer).merge_and_unload()
    eos = tokenizer.convert_tokens_to_ids(CHATML_EOS)
    model.config.eos_token_id = eos
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def ask(model_dir: Path | str, question: str, system: str | None = None, max_new_tokens: int = 256) -> Reply:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=compute_dtype())
    from synth.chat import prompt

    messages = prompt(question, system)
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, repetition_penalty=1.1)
    new = output[0, inputs["input_ids"].shape[1] :]
    stopped = len(new) > 0 and int(new[-1]) == model.generation_config.eos_token_id
    return Reply(tokenizer.decode(new, skip_special_tokens=True).strip(), len(new), stopped)


def check(base: str, adapter: Path, merged: Path, tokenizer, added_tokens: bool, conversations: list[list[dict]], tolerance: float) -> MergeCheck:
    """Compare the merged model's next-token logits with the unmerged adapter's on `conversations`
    (held-out prompts). The bf16 comparison must agree up to rounding (`tolerance`); the 4-bit one
    is reported, since NF4 rounding of the base makes it differ by design."""
    from transformers import AutoModelForCausalLM

    prompts = [tokenizer.apply_chat_template(c, add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"] for c in conversations]
    dtype = compute_dtype()
    reference = _next_logits(AutoModelForCausalLM.from_pretrained(merged, dtype=dtype), prompts)
    unmerged = _next_logits(qlora.load_with_adapter(base, str(adapter), tokenizer, dtype=dtype), prompts)
    quantized = _next_logits(qlora.load_4bit_with_adapter(base, str(adapter), tokenizer, added_tokens), prompts)
    result = MergeCheck(len(prompts), (reference - unmerged).abs().max().item(), (reference - quantized).abs().max().item())
    if result.max_diff > tolerance:
        raise MergeMismatch(f"{result}: more than {tolerance}, the merged model in {merged} is not the trained one;"
                            " check that base and adapter match (same base, same added tokens)")
    return result


def _next_logits(model, prompts: list) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return torch.stack([model(input_ids=ids, use_cache=False).logits[0, -1].float() for ids in prompts])
