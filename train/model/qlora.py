"""The only bitsandbytes/peft imports: load the 4-bit base, add ChatML tokens, add LoRA, load an adapter."""

from __future__ import annotations

import torch

from voicetune.models import CHATML_EOS, CHATML_TEMPLATE, compute_dtype

CHATML_TOKENS = ["<|im_start|>", CHATML_EOS]


def device(cuda_devices: int | None = None, local_rank: str | None = None) -> str:
    """Where this process runs its models: its own GPU where there is one (LOCAL_RANK under
    torchrun/accelerate, else the first), the CPU otherwise. The arguments default to what this
    machine has; they are parameters so the rule is testable without a GPU."""
    import os

    cuda_devices = torch.cuda.device_count() if cuda_devices is None else cuda_devices
    local_rank = os.environ.get("LOCAL_RANK") if local_rank is None else local_rank
    if cuda_devices == 0:
        return "cpu"
    rank = int(local_rank or 0)
    if rank >= cuda_devices:
        raise RuntimeError(f"LOCAL_RANK {rank} but only {cuda_devices} GPU(s): start at most {cuda_devices} processes per machine")
    return f"cuda:{rank}"


def device_map(where: str | None = None) -> dict:
    """from_pretrained's device_map: the whole model on one device (no offloading)."""
    return {"": where or device()}


def attention(where: str, flash_installed: bool | None = None) -> str:
    """The attention kernel: flash-attention 2 on a GPU where the package is installed (its
    variable-length path runs a packed step as one padding-free row: train/data/collate.py), sdpa
    everywhere else (packed rows get a block-diagonal mask from their restarting positions)."""
    import importlib.util

    if flash_installed is None:
        flash_installed = importlib.util.find_spec("flash_attn") is not None
    return "flash_attention_2" if where.startswith("cuda") and flash_installed else "sdpa"


def load_tokenizer(base: str):
    """The base tokenizer, made ChatML. Returns (tokenizer, added): added is True when the
    ChatML tokens were new, so the embeddings must grow and be trained."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    missing = [t for t in CHATML_TOKENS if t not in tokenizer.get_vocab()]
    if missing:
        tokenizer.add_special_tokens({"additional_special_tokens": missing})
    if missing or not tokenizer.chat_template:
        tokenizer.chat_template = CHATML_TEMPLATE
    tokenizer.eos_token = CHATML_EOS
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # safe: the collator masks padding by length, not by id
    tokenizer.padding_side = "right"
    return tokenizer, bool(missing)


def load_4bit(base: str, tokenizer, added_tokens: bool):
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    dtype = compute_dtype()  # bf16 where the hardware has it; float32 on CPUs that would emulate it
    quantization = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=dtype,
        bnb_4bit_use_double_quant=True,
    )
    where = device()
    model = AutoModelForCausalLM.from_pretrained(
        base, quantization_config=quantization, dtype=dtype, device_map=device_map(where), attn_implementation=attention(where)
    )
    if added_tokens:
        model.resize_token_embeddings(len(tokenizer))
    model.config.eos_token_id = tokenizer.eos_token_id
    keep_trainable_layout(model)
    return model


def keep_trainable_layout(model) -> None:
    """On CPUs with AVX512-BF16, bitsandbytes repacks a Linear4bit's weight into an inference-only
    layout the first time it runs in eval mode without grad, i.e. at the first evaluation, and
    keeps it. Training after that goes through a kernel with no backward: gradients stop flowing
    into the LoRA layers below (torch warns "gemv_4bit: an autograd kernel was not registered").
    Opting out keeps every epoch after an evaluation training the whole adapter."""
    import bitsandbytes as bnb

    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False


def add_lora(model, r: int, alpha: int, dropout: float, gradient_checkpointing: bool, train_embeddings: bool):
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)
    config = LoraConfig(
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules="all-linear",
        # New ChatML tokens start as random rows: train the embeddings and the head with them.
        modules_to_save=["embed_tokens", "lm_head"] if train_embeddings else None,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def load_trainable_adapter(base: str, adapter, tokenizer, added_tokens: bool, gradient_checkpointing: bool):
    """The 4-bit base prepared as for add_lora, with a trained adapter on top to train further
    (the preference stage continues the SFT adapter)."""
    from peft import PeftModel, prepare_model_for_kbit_training

    model = prepare_model_for_kbit_training(load_4bit(base, tokenizer, added_tokens), use_gradient_checkpointing=gradient_checkpointing)
    return PeftModel.from_pretrained(model, str(adapter), is_trainable=True)


def load_with_adapter(base: str, adapter: str, tokenizer, dtype=torch.bfloat16, where: str | None = None):
    """The base in `dtype` (embeddings resized to the tokenizer) with the trained adapter on top,
    on `where` (this process's device by default)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=dtype, device_map=device_map(where))
    if model.get_input_embeddings().weight.shape[0] != len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))
    return PeftModel.from_pretrained(model, adapter)


def load_4bit_with_adapter(base: str, adapter: str, tokenizer, added_tokens: bool):
    """The model as it was trained: 4-bit base with the adapter on top (for the merge check)."""
    from peft import PeftModel

    return PeftModel.from_pretrained(load_4bit(base, tokenizer, added_tokens), adapter)


def on_device(tensor: torch.Tensor, model) -> torch.Tensor:
    """Inputs go where the model's weights are (its first parameter's device)."""
    return tensor.to(next(model.parameters()).device)
