"""Adapter + bf16 base -> one merged model that stops at <|im_end|>, and a first answer from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from voicetune.models import CHATML_EOS, dtype_name
from train.model import qlora


class MergeMismatch(RuntimeError):
    pass


@dataclass(frozen=True)
class MergeCheck:
    """The merge against base + adapter unmerged, in float32 on one device, at every position of
    held-out conversations; and the saved weights against that merge."""

    prompts: int
    positions: int
    dtype: str  # what the models computed in
    device: str
    top1: float  # merge (float32, before saving) vs unmerged: share of positions with the same next token
    kl: float  # the same pair: mean KL(unmerged || merged), nats per position
    weights_off: int  # saved tensors that are not the float32 merge rounded to their dtype
    saved_top1: float  # the saved (bf16) model read as float32 vs unmerged: what bf16 rounding costs
    saved_kl: float
    kl_adapter: float  # unmerged vs the base without adapter: how far training moved the model

    def __str__(self) -> str:
        return (f"merge check on {self.prompts} held-out conversations ({self.positions} positions, {self.dtype} on {self.device}):"
                f" merged vs base + adapter unmerged: same next token at {self.top1:.1%}, KL {self.kl:.1e} nats;"
                f" {self.weights_off} saved tensors differ from it; the saved bf16 model: {self.saved_top1:.1%}, KL {self.saved_kl:.1e}"
                f" (training moved the base by KL {self.kl_adapter:.1e})")


# The merge check's limits. Measured on 2 CPU cores (Intel, AMX), the embedded SmolLM2-135M,
# 140 Sherlock passages, one pass at lr 1e-3 (tests/test_train_real_book.py), 3 held-out
# conversations, 299 positions, float32, 2026-11-25:
#   training's own effect (unmerged vs base without adapter): top-1 63.5%, KL 0.394
#   float32 merge in memory vs unmerged: top-1 100%, KL 6e-8
#   the same merge saved in bf16, read back as float32: top-1 93.3%, KL 0.0101
#   wrong merges, in float32: adapter x2 66.6% / 0.233, x0.5 78.3% / 0.078, x1.1 98.0% / 0.0027,
#     layer 15 left out 98.0% / 0.00054, every down_proj left out 92.6% / 0.016
#   this check on the right merge: 100% / 6.1e-8, 0 tensors off, saved model 93.3% / 0.010 (14 s);
#   on merges of the adapter x2 and x1.1: 210 of 210 LoRA-merged tensors off (saved 70.2% / 0.19,
#   97.0% / 0.0023): both refused. Through `train run` (system prompt included, 341 positions):
#   right merge 100% / 5.0e-8, 0 tensors off, saved 91.2% / 0.016 against training's 0.45 -- the
#   old check gave 2.375 on that same right merge and would have failed it; layer 15 left out:
#   7 tensors off, refused
# So bf16 rounding of the saved weights moves the model as much as merging 1.1x the adapter or
# leaving a layer out: the saved model alone cannot show a subtle wrong merge (the old check,
# one max-abs bf16 logit bound, failed right merges for that reason). Hence three parts: the
# float32 merge must agree with the unmerged adapter to float32 rounding (MIN_TOP1, MAX_KL: three
# orders of magnitude between the right merge and the subtlest wrong one); every saved tensor
# must be that merge rounded to its dtype (catches any wrong or partial merge in the file); and
# the saved model must stay far closer to the trained one than the base is (SAVED_SHARE: 0.026 of
# training's KL for the right merge, 0.2 and more for x2 or x0.5), with a floor (SAVED_FLOOR): a
# barely trained adapter (2 steps at 2e-4 under DDP, tests/test_train_ddp.py's old run) moved the
# base by only 5.5e-4 while bf16 rounding of the right merge cost 3.1e-4; other right merges
# measured 1.7e-3 and 2.7e-3 against 0.2-0.4.
MIN_TOP1 = 0.995
MAX_KL = 1e-4  # nats per position
SAVED_SHARE = 0.15
SAVED_FLOOR = 5e-3  # nats per position


def merge(base: str, adapter: Path, tokenizer, out: Path) -> Path:
    """Merge in float32 on this process's device (the GPU where there is one) and save in bf16:
    one rounding, of the merged weights."""
    from transformers import GenerationConfig

    model = qlora.load_with_adapter(base, str(adapter), tokenizer, dtype=torch.float32).merge_and_unload().to(torch.bfloat16)
    eos = tokenizer.convert_tokens_to_ids(CHATML_EOS)
    model.config.eos_token_id = eos
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def check(base: str, adapter: Path, merged: Path, tokenizer, conversations: list[list[dict]]) -> MergeCheck:
    """Check the merged model in `merged` against base + adapter unmerged on `conversations`
    (held-out ones, answers included: every position counts), all in float32 on one device.
    Raises MergeMismatch when it is not the trained model (limits and their measurements above)."""
    from transformers import AutoModelForCausalLM

    where, dtype = qlora.device(), torch.float32
    ids = [tokenizer.apply_chat_template(c, return_tensors="pt", return_dict=True)["input_ids"] for c in conversations]
    model = qlora.load_with_adapter(base, str(adapter), tokenizer, dtype=dtype, where=where)
    unmerged = _logits(model, ids)
    with model.disable_adapter():
        untrained = _logits(model, ids)
    model = model.merge_and_unload()
    top1, kl = agreement(unmerged, _logits(model, ids))
    weights_off = differing_tensors(model, merged)
    del model
    release()
    saved = AutoModelForCausalLM.from_pretrained(merged, dtype=dtype, device_map=qlora.device_map(where))
    saved_top1, saved_kl = agreement(unmerged, _logits(saved, ids))
    del saved
    release()
    kl_adapter = agreement(unmerged, untrained)[1]
    result = MergeCheck(len(ids), unmerged.shape[0], dtype_name(dtype), where, top1, kl, weights_off, saved_top1, saved_kl, kl_adapter)
    if top1 < MIN_TOP1 or kl > MAX_KL or weights_off or saved_kl > SAVED_SHARE * kl_adapter + SAVED_FLOOR:
        raise MergeMismatch(f"{result}: needs at least {MIN_TOP1:.1%} and at most {MAX_KL} nats, no differing tensor, and a saved"
                            f" model within {SAVED_SHARE} of training's KL + {SAVED_FLOOR}; the merged model in {merged} is not the trained one:"
                            " check that base and adapter match (same base, same added tokens) and merge again")
    return result


def differing_tensors(model, merged: Path) -> int:
    """How many tensors saved in `merged` are not `model`'s rounded to the saved dtype (slack:
    one step of that dtype's resolution at each value)."""
    from safetensors import safe_open

    state = model.state_dict()
    off = 0
    for file in sorted(merged.glob("*.safetensors")):
        with safe_open(file, framework="pt") as f:
            for name in f.keys():
                saved, mine = f.get_tensor(name), state.get(name)
                if mine is None or mine.shape != saved.shape:
                    off += 1
                    continue
                expected = mine.to(saved.dtype).float()
                slack = expected.abs() * torch.finfo(saved.dtype).eps
                off += int(((saved.to(mine.device).float() - expected).abs() > slack).any())
    return off


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
        return torch.cat([model(input_ids=qlora.on_device(ids, model), use_cache=False).logits[0].float().cpu() for ids in prompts])
