"""Run by tests/test_train_ddp.py under `torchrun --nproc_per_node 2`: `train run` as a user would
start it, each rank saving the LoRA weights it ended with."""

import os
import sys
from pathlib import Path

import torch

from train import fit
from train.cli import main

out = Path(sys.argv[sys.argv.index("--out") + 1])
train = fit.train


def train_and_keep(*args, **kwargs):
    trainer, losses = train(*args, **kwargs)
    lora = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if "lora" in n}
    torch.save(lora, out / f"rank{os.environ['RANK']}.pt")
    return trainer, losses


fit.train = train_and_keep
sys.argv = ["train", "run", *sys.argv[1:]]
main()
