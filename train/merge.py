"""Adapter + bf16 base -> one merged model that stops at <|im_end|>, and a first answer from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from train import model as qlora


@dataclass(frozen=True)
class Reply:
    text: str
    tokens: int
    stopped: bool  # ended with the eos token, not at the token limit


def merge(base: str, adapter: Path, tokenizer, out: Path) -> Path:
    from transformers import GenerationConfig

    model = qlora.load_with_adapter(base, str(adapter), tokenizer).merge_and_unload()
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    model.config.eos_token_id = eos
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def ask(model_dir: Path | str, question: str, system: str | None = None, max_new_tokens: int = 256) -> Reply:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16)
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": question}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, repetition_penalty=1.1)
    new = output[0, inputs["input_ids"].shape[1] :]
    stopped = len(new) > 0 and int(new[-1]) == model.generation_config.eos_token_id
    return Reply(tokenizer.decode(new, skip_special_tokens=True).strip(), len(new), stopped)
