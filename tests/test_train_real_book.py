"""A real book's worth of records through `train run`: enough training that the adapter moves the
model, then the merge check must pass on the right merge and fail on wrong ones.

The old check (largest bf16 logit difference <= 2.0) fails here on that correct merge: asserted,
so that the run stays one that tells the two checks apart."""

import json
import os
import time
from pathlib import Path

import pytest

from train_tiny import altered_adapter

pytestmark = [pytest.mark.engine, pytest.mark.corpora]

CORPORA = Path(__file__).parents[1].parent / "shared" / "corpora"
BOOK = next(iter(sorted((CORPORA / "pdf").glob("01_*.pdf"))), None) if (CORPORA / "pdf").is_dir() else None
PASSAGES = int(os.environ.get("VT_REAL_BOOK_PASSAGES", 140))


@pytest.fixture(scope="module")
def book_run(tmp_path_factory, embedded_model):
    if BOOK is None:
        pytest.skip("needs ../shared/corpora/pdf/01_*.pdf (the Sherlock Holmes book)")
    from synth.pipeline import SegmentOptions, passages
    from train import pipeline
    from train.config import TrainConfig

    folder = tmp_path_factory.mktemp("book")
    data = folder / "sherlock" / "interview.jsonl"
    data.parent.mkdir()
    chosen = passages(BOOK, SegmentOptions(limit=PASSAGES))
    # Each passage's first sentences (up to ~300 characters), so that a pass over a book's worth
    # of records takes minutes on 2 CPU cores; one pass at 5x the default learning rate moves
    # the model's logits as far as the default recipe does on whole passages.
    data.write_text("".join(
        json.dumps({"id": p.id, "question": "What happened next?", "answer": opening(p.text), "source": {}}) + "\n" for p in chosen
    ))
    config = TrainConfig(epochs=1, batch_size=8, learning_rate=1e-3, max_length=512, persona="Dr. Watson")
    start = time.perf_counter()
    result = pipeline.run(config, data, folder / "run", log=print)
    print(f"real book: {len(chosen)} passages, trained and merged in {time.perf_counter() - start:.0f} s; {result.merge_check}")
    return result, folder / "run", config


def opening(text: str, chars: int = 300) -> str:
    from synth.repair.segment import split_sentences

    kept = ""
    for sentence in split_sentences(text):
        if kept and len(kept) + len(sentence) > chars:
            break
        kept = f"{kept} {sentence}".strip()
    return kept


def old_check(base: str, adapter: Path, merged: Path, tokenizer, conversations) -> float:
    """The check this replaced: largest next-token logit difference, bf16 merged vs bf16 base +
    adapter unmerged, last prompt position only (it failed above 2.0)."""
    import torch
    from transformers import AutoModelForCausalLM

    from train.model import qlora

    prompts = [tokenizer.apply_chat_template(c[:-1], add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"] for c in conversations]
    models = [AutoModelForCausalLM.from_pretrained(merged, dtype=torch.bfloat16), qlora.load_with_adapter(base, str(adapter), tokenizer, dtype=torch.bfloat16)]
    with torch.no_grad():
        a, b = ([m.eval()(input_ids=p, use_cache=False).logits[0, -1].float() for p in prompts] for m in models)
    return max((x - y).abs().max().item() for x, y in zip(a, b))


def conversations_of(result):
    return [[{"role": "user", "content": r.question}, {"role": "assistant", "content": r.answer}] for r in result.data.held_out[:3]]


def last_checkpoint(run: Path) -> Path:
    """checkpoint-<step> with the highest step (checkpoint-10 after checkpoint-9)."""
    return max((run / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name.rsplit("-", 1)[1]))


def test_a_real_book_trains_merges_and_passes_the_merge_check(book_run, tokenizer):
    result, run, _ = book_run
    assert len(result.data.train) >= 120
    check = result.merge_check
    # Training moved the model far more than saving in bf16 did: the check compares something real.
    assert check.top1 == 1.0 and check.weights_off == 0 and check.kl_adapter > 10 * check.saved_kl, check
    assert result.losses[-1].eval_loss is not None
    from voicetune.models import resolve

    old = old_check(resolve(None), last_checkpoint(run), run / "merged", tokenizer, conversations_of(result))
    print(f"old check on the same right merge: largest bf16 logit difference {old:.4f}")
    assert old > 2.0, "the run no longer moves the model enough for the old check to fail a right merge"


@pytest.mark.parametrize("how", [{"scale": 1.1}, {"drop": "layers.15."}])
def test_the_merge_check_fails_a_wrong_merge_of_the_same_run(book_run, tmp_path, tokenizer, how):
    from voicetune.models import resolve
    from train.model import merge

    result, run, _ = book_run
    adapter = last_checkpoint(run)
    wrong = merge.merge(resolve(None), altered_adapter(adapter, tmp_path / "wrong", **how), tokenizer, tmp_path / "merged")
    with pytest.raises(merge.MergeMismatch) as failed:
        merge.check(resolve(None), adapter, wrong, tokenizer, conversations_of(result))
    print(how, failed.value)
