"""Tiny real-training inputs shared by the train tests: short conversations, few steps."""

import json
from pathlib import Path

PAIRS = [
    ("Why engines?", "The engine room was where I understood the world."),
    ("Your mother?", "She was afraid for me."),
    ("Your uncle?", "Rab taught me the name of every part."),
    ("Turned away?", "It made me stubborn."),
    ("The storm?", "The shaft ran hot, but my hands stayed steady."),
    ("Why ashore?", "My mother needed me."),
    ("Teaching?", "It made me say what I had learned."),
    ("Advice?", "Listen to the machine."),
    ("Kellhaven?", "It holds you up and holds you down."),
    ("The sea?", "I still wake at four for the engines."),
]


def write_data(folder: Path) -> Path:
    path = folder / "interview.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", "question": q, "answer": a, "source": {}}) + "\n" for i, (q, a) in enumerate(PAIRS)))
    return path


def altered_adapter(adapter: Path, out: Path, *, scale: float = 1.0, drop: str | None = None) -> Path:
    """A copy of a trained adapter made wrong on purpose: every LoRA B scaled by `scale`, and the
    LoRA layers whose names contain `drop` zeroed (as if a merge had missed them)."""
    import shutil

    from safetensors.torch import load_file, save_file

    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(adapter / "adapter_config.json", out / "adapter_config.json")
    weights = load_file(adapter / "adapter_model.safetensors")
    for name, value in weights.items():
        if "lora_B" in name:
            weights[name] = value * (0.0 if drop and drop in name else scale)
    save_file(weights, out / "adapter_model.safetensors")
    return out


def first_layer_grad_after_an_eval(model, tokenizer):
    """The first layer's LoRA B gradient from a training step taken after an eval forward pass:
    bitsandbytes repacked its 4-bit weights for inference at the first eval and cut the backward
    pass there (train/model/qlora.py, keep_trainable_layout)."""
    import torch

    from train.model import qlora

    ids = torch.tensor([tokenizer("I kept every letter that said no.")["input_ids"]], device=qlora.device())
    model.eval()
    with torch.no_grad():
        model(input_ids=ids)
    model.train()
    model(input_ids=ids, labels=ids).loss.backward()
    return model.base_model.model.model.layers[0].self_attn.q_proj.lora_B["default"].weight.grad
