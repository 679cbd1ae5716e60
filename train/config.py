"""Training configuration: one dataclass with the reference QLoRA recipe's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from voicetune.config import EVAL_SHARE, NATURAL, PERSONA, POSITIVE, SEED, SEED_RANGE, SHARE, SYSTEM_PROMPT, Range, check_ranges, strict

RANGES = {
    "epochs": Range(0, open_low=True), "batch_size": POSITIVE, "grad_accum": POSITIVE, "learning_rate": Range(0, open_low=True),
    "warmup_ratio": Range(0, 1), "lora_r": POSITIVE, "lora_alpha": Range(0, open_low=True), "lora_dropout": Range(0, 1, open_high=True),
    "max_length": POSITIVE, "eval_share": SHARE, "seed": SEED_RANGE, "max_steps": Range(1, also=-1),
    "tokens_per_step": NATURAL, "save_steps": NATURAL,
    "preference_epochs": Range(0, open_low=True), "preference_learning_rate": Range(0, open_low=True),
    "beta": Range(0, open_low=True), "sft_weight": Range(0),
}


REJECTED = ("own", "base")  # train run --rejected: where a preference pair's rejected answer comes from


@dataclass(frozen=True)
class TrainConfig:
    base: str | None = None  # local folder or hub id; None = the embedded SmolLM2-135M-Instruct
    epochs: float = 3
    batch_size: int = 4
    grad_accum: int = 1
    learning_rate: float = 2e-4
    warmup_ratio: float = 0.03
    lora_r: int = 64
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    max_length: int = 1024  # tokens; longer conversations are dropped (counted), never cut mid-answer
    eval_share: float = EVAL_SHARE
    seed: int = SEED
    max_steps: int = -1  # > 0 stops early (tests, quick looks)
    system_prompt: str | None = SYSTEM_PROMPT  # template in prompts/ or a path; None = no system message
    persona: str = PERSONA  # the same default as synth's prompts: trained as who was interviewed
    packing: bool = True  # several conversations per sequence, attention kept within each (packing.py)
    tokens_per_step: int = 0  # packed tokens per step and process; 0 = by device (packing.step_tokens)
    save_steps: int = 0  # > 0: a checkpoint every N steps as well as every epoch
    merge: str = "best"  # which adapter to merge: "best" (lowest eval loss) or "last"
    preference: str | None = None  # "dpo": a preference stage after SFT (train/preference.py)
    preference_epochs: float = 1.0  # measured with own answers rejected: 1 beat 0.5 on two books (README); base answers: 0.5
    preference_learning_rate: float = 5e-5  # a quarter of SFT's: a short pass continuing a trained adapter
    beta: float = 0.1  # DPO's beta: how far from the SFT model the margin may pull
    sft_weight: float = 1.0  # weight of the chosen answers' NLL per token in the preference loss (0: plain DPO)
    rejected: str = "own"  # one of REJECTED, the rejected side: "own" = the SFT model's own answers (made after SFT), "base" = synth pairs' (README)

    def __post_init__(self):
        """Refuse a value out of range before any work: --epochs -1 used to train 0 steps, then
        merge and save the untrained adapter as a finished run."""
        check_ranges(self, RANGES)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        return strict(cls, values, "training")
