"""Write a random-weight Llama model of a given shape with the embedded model's tokenizer, so
anyone can measure training speed at that size without downloading weights (random weights do
not change the speed):

    python scripts/random_model.py OUT --shape 7b      # Llama-2-7B's shape, SmolLM2's 49k vocabulary: 6.9B parameters
    python bench/train_throughput.py --base OUT --book ../shared/corpora/pdf/01_*.pdf --batch-size 8

--hidden/--layers/--heads/--intermediate override the shape's numbers. Weights are saved in bf16.
A 7B model needs ~12 GiB of memory and disk for a while.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHAPES = {  # hidden, layers, attention heads, MLP width
    "tiny": (64, 2, 4, 128),
    "1b": (2048, 16, 32, 5632),
    "7b": (4096, 32, 32, 11008),
    "13b": (5120, 40, 40, 13824),
}


def config(shape: str, vocab: int, **overrides):
    from transformers import LlamaConfig

    hidden, layers, heads, intermediate = SHAPES[shape]
    values = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads, "intermediate_size": intermediate}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return LlamaConfig(vocab_size=vocab, max_position_embeddings=4096, tie_word_embeddings=False,
                       num_key_value_heads=values["num_attention_heads"], **values)


def write(out: Path, shape: str, seed: int = 0, **overrides) -> int:
    """Returns the number of parameters written."""
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    from voicetune.models import resolve

    tokenizer = AutoTokenizer.from_pretrained(resolve(None))
    cfg = config(shape, len(tokenizer), **overrides)
    cfg.bos_token_id, cfg.eos_token_id, cfg.pad_token_id = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id
    torch.manual_seed(seed)
    torch.set_default_dtype(torch.bfloat16)
    try:
        model = LlamaForCausalLM(cfg)
    finally:
        torch.set_default_dtype(torch.float32)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return sum(p.numel() for p in model.parameters())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="7b")
    parser.add_argument("--hidden", type=int)
    parser.add_argument("--layers", type=int)
    parser.add_argument("--heads", type=int)
    parser.add_argument("--intermediate", type=int)
    args = parser.parse_args()
    params = write(args.out, args.shape, hidden_size=args.hidden, num_hidden_layers=args.layers,
                num_attention_heads=args.heads, intermediate_size=args.intermediate)
    print(f"wrote {args.out}: {args.shape} shape, {params / 1e9:.2f}B parameters")


if __name__ == "__main__":
    main()
