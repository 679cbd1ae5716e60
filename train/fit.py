"""QLoRA training with the transformers Trainer: 4-bit NF4 base, LoRA on all linear layers.

Batches are packed (packing.py): several conversations per sequence, no padding. The loss is
the mean over trained tokens of the whole optimizer step (all micro-batches of a gradient
accumulation and all ranks: the Trainer's `num_items_in_batch`), and the output head runs only
where a token is trained, so the question and system prompt cost no vocabulary projection.
Speed: bench/train_throughput.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from voicetune.models import compute_dtype
from train.model import qlora
from train.data import packing
from train.data.chatml import IGNORE
from train.data.collate import PadCollator
from train.config import TrainConfig
from train.data.dataset import Dataset


@dataclass(frozen=True)
class EpochLoss:
    epoch: int
    train_loss: float | None
    eval_loss: float | None


def training_arguments(config: TrainConfig, out: Path, rows_per_step: int | None = None):
    """rows_per_step: packed rows a step takes (packing.layout); unpacked, --batch-size conversations."""
    from transformers import TrainingArguments

    cuda = torch.cuda.is_available()
    dtype = compute_dtype()
    per_device = (rows_per_step or 1) if config.packing else config.batch_size
    return TrainingArguments(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=per_device,
        per_device_eval_batch_size=per_device,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_ratio,
        lr_scheduler_type="cosine",
        # Paged optimizers page state to CPU RAM on memory spikes; on a CPU there is nothing to page.
        optim="paged_adamw_32bit" if cuda else "adamw_torch",
        gradient_checkpointing=cuda,
        # On a GPU, bf16 autocast (float16 where it lacks bf16, e.g. a T4). On a CPU autocast costs
        # more than it saves (measured: 8 s/step with bf16 weights alone vs 7-20 s/step with
        # autocast on top); the 4-bit layers compute in compute_dtype() either way.
        bf16=cuda and dtype == torch.bfloat16,
        fp16=cuda and dtype == torch.float16,
        use_cpu=not cuda,
        eval_strategy="epoch",
        # A checkpoint (adapter, optimizer, scheduler, RNG, step) every epoch, and every save_steps
        # if set; the best by eval loss is kept besides the last (save_total_limit never drops it).
        save_strategy="steps" if config.save_steps > 0 else "epoch",
        save_steps=config.save_steps if config.save_steps > 0 else 500,
        save_total_limit=2,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        prediction_loss_only=True,
        logging_steps=1,
        report_to="none",
        seed=config.seed,
        data_seed=config.seed,
        remove_unused_columns=False,
        ddp_find_unused_parameters=False,
    )


def layout(examples, config: TrainConfig, gpu: bool | None = None) -> packing.Layout:
    """Packed rows: their length and how many make a step (packing.py says why per device)."""
    gpu = torch.cuda.is_available() if gpu is None else gpu
    tokens = config.tokens_per_step or packing.step_tokens(examples, config.batch_size, config.max_length, gpu)
    return packing.layout(examples, tokens, config.max_length)


def rows(examples, config: TrainConfig, row_tokens: int | None = None) -> list[dict]:
    """The Trainer's rows: packed sequences of at most row_tokens, or one conversation each (packing off)."""
    if not config.packing:
        return [{"input_ids": e.input_ids, "labels": e.labels} for e in examples]
    row_tokens = row_tokens or layout(examples, config).row_tokens
    return [{"input_ids": p.input_ids, "labels": p.labels, "position_ids": p.position_ids} for p in packing.pack(examples, row_tokens)]


def collator(tokenizer, model) -> PadCollator:
    """Padding-free single rows for flash-attention 2 (its variable-length path); padded rows otherwise."""
    return PadCollator(tokenizer.pad_token_id, flatten=getattr(model.config, "_attn_implementation", None) == "flash_attention_2")


def as_dataset(items: list[dict]):
    from datasets import Dataset as HFDataset

    return HFDataset.from_list(items)


def assistant_loss_trainer():
    from transformers import Trainer

    class AssistantLossTrainer(Trainer):
        """Logits and cross-entropy only at positions whose next token is trained: on a small
        model the vocabulary projection of every prompt token is a large share of the step."""

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            inputs = dict(inputs)
            targets = inputs.pop("labels")[:, 1:]
            keep = (targets != IGNORE).any(0).nonzero().squeeze(-1)
            outputs = model(**inputs, logits_to_keep=keep, use_cache=False)
            picked = targets[:, keep].reshape(-1)
            loss = torch.nn.functional.cross_entropy(
                outputs.logits.float().reshape(-1, outputs.logits.shape[-1]), picked, ignore_index=IGNORE, reduction="sum"
            )
            if num_items_in_batch is None:
                loss = loss / (picked != IGNORE).sum().clamp(min=1)
            else:  # the step's trained tokens over all micro-batches and ranks; DDP averages gradients
                loss = loss / num_items_in_batch * (self.accelerator.num_processes if self.args.average_tokens_across_devices else 1)
            return (loss, outputs) if return_outputs else loss

    return AssistantLossTrainer


def train(config: TrainConfig, base: str, tokenizer, added_tokens: bool, data: Dataset, out: Path, *, resume: bool = False, callbacks=()):
    """Train the adapter, save it to out/adapter; returns (trainer, per-epoch losses).
    resume continues from the last checkpoint in out/checkpoints (optimizer, scheduler, data position)."""
    from transformers import set_seed

    # Before the adapter exists: its A matrices start random, and the Trainer seeds only later,
    # so without this the same command trained a different adapter each time.
    set_seed(config.seed)
    model = qlora.load_4bit(base, tokenizer, added_tokens)
    model = qlora.add_lora(
        model, config.lora_r, config.lora_alpha, config.lora_dropout, torch.cuda.is_available(), added_tokens
    )
    model.config.use_cache = False  # a cache turns off the packed-sequence attention mask
    shape = layout(data.train, config)
    trainer = assistant_loss_trainer()(
        model=model,
        args=training_arguments(config, out, shape.rows),
        train_dataset=as_dataset(rows(data.train, config, shape.row_tokens)),
        eval_dataset=as_dataset(rows(data.eval, config, max(shape.row_tokens, max(len(e.input_ids) for e in data.eval)))),
        data_collator=collator(tokenizer, model),
        callbacks=[*callbacks, *([checkpoint_each_epoch()] if config.save_steps > 0 else [])],
    )
    trainer.model_accepts_loss_kwargs = True  # compute_loss normalises by num_items_in_batch itself
    trainer.train(resume_from_checkpoint=last_checkpoint(out) if resume else None)
    if trainer.is_world_process_zero():
        model.save_pretrained(out / "adapter")
        tokenizer.save_pretrained(out / "adapter")
    return trainer, epoch_losses(trainer.state.log_history)


def checkpoint_each_epoch():
    """With save_strategy "steps", still a checkpoint at the end of every epoch."""
    from transformers import TrainerCallback

    class CheckpointEachEpoch(TrainerCallback):
        def on_epoch_end(self, args, state, control, **kwargs):
            control.should_save = True

    return CheckpointEachEpoch()


def last_checkpoint(out: Path) -> str:
    from transformers.trainer_utils import get_last_checkpoint

    folder = out / "checkpoints"
    last = get_last_checkpoint(str(folder)) if folder.is_dir() else None
    if last is None:
        raise FileNotFoundError(f"--resume: no checkpoint in {folder}; run without --resume to start afresh")
    return last


def adapter_to_merge(trainer, out: Path, which: str) -> Path:
    """The best checkpoint by eval loss ('best', the default), or the final adapter ('last')."""
    best = trainer.state.best_model_checkpoint
    if which == "best" and best and Path(best).is_dir():
        return Path(best)
    return out / "adapter"


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
