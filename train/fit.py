"""QLoRA training with the transformers Trainer: 4-bit NF4 base, LoRA on all linear layers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from train import model as qlora
from train.collate import PadCollator
from train.config import TrainConfig
from train.data import Dataset


@dataclass(frozen=True)
class EpochLoss:
    epoch: int
    train_loss: float | None
    eval_loss: float | None


def training_arguments(config: TrainConfig, out: Path):
    from transformers import TrainingArguments

    cuda = torch.cuda.is_available()
    return TrainingArguments(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_ratio,
        lr_scheduler_type="cosine",
        # Paged optimizers page state to CPU RAM on memory spikes; on a CPU there is nothing to page.
        optim="paged_adamw_32bit" if cuda else "adamw_torch",
        gradient_checkpointing=cuda,
        # On a GPU, bf16 autocast. On a CPU autocast costs more than it saves (measured: 8 s/step
        # with bf16 weights alone vs 7-20 s/step with autocast on top); the 4-bit layers compute
        # in bf16 either way (bnb_4bit_compute_dtype).
        bf16=cuda,
        use_cpu=not cuda,
        eval_strategy="epoch",
        save_strategy="no",
        logging_steps=1,
        report_to="none",
        seed=config.seed,
        remove_unused_columns=False,
        ddp_find_unused_parameters=False,
    )


def as_dataset(examples):
    from datasets import Dataset as HFDataset

    return HFDataset.from_list([{"input_ids": e.input_ids, "labels": e.labels} for e in examples])


def train(config: TrainConfig, base: str, tokenizer, added_tokens: bool, data: Dataset, out: Path):
    """Train the adapter, save it to out/adapter; returns (trainer, per-epoch losses)."""
    from transformers import Trainer

    model = qlora.load_4bit(base, tokenizer, added_tokens)
    model = qlora.add_lora(
        model, config.lora_r, config.lora_alpha, config.lora_dropout, torch.cuda.is_available(), added_tokens
    )
    trainer = Trainer(
        model=model,
        args=training_arguments(config, out),
        train_dataset=as_dataset(data.train),
        eval_dataset=as_dataset(data.eval),
        data_collator=PadCollator(tokenizer.pad_token_id),
    )
    trainer.train()
    if trainer.is_world_process_zero():
        model.save_pretrained(out / "adapter")
        tokenizer.save_pretrained(out / "adapter")
    return trainer, epoch_losses(trainer.state.log_history)


def epoch_losses(log_history: list[dict]) -> list[EpochLoss]:
    """Mean logged training loss and the eval loss of each epoch, from the Trainer's log."""
    epochs: dict[int, dict] = {}
    for entry in log_history:
        if "epoch" not in entry:
            continue
        epoch = max(1, int(-(-entry["epoch"] // 1)))  # steps of epoch 1 log epoch in (0, 1]
        slot = epochs.setdefault(epoch, {"train": [], "eval": None})
        if "loss" in entry:
            slot["train"].append(entry["loss"])
        if "eval_loss" in entry:
            slot["eval"] = entry["eval_loss"]
    return [
        EpochLoss(e, sum(s["train"]) / len(s["train"]) if s["train"] else None, s["eval"])
        for e, s in sorted(epochs.items())
    ]
