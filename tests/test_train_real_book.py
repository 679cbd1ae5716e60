"""A real book's worth of records through `train run`: enough training that the adapter moves the
model, then the merge check must pass on the right merge and fail on wrong ones.

The old check (largest bf16 logit difference <= 2.0) failed here on a correct merge."""

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
    data.write_text("".join(
        json.dumps({"id": p.id, "question": "What happened next?", "answer": p.text, "source": {}}) + "\n" for p in chosen
    ))
    # One pass at a high learning rate: the adapter moves the logits as far as the default
    # 3 epochs at 2e-4 did on the book, in a third of the time.
    config = TrainConfig(epochs=1, batch_size=8, learning_rate=1e-3, lora_r=16, max_length=512, persona="Dr. Watson")
    start = time.perf_counter()
    result = pipeline.run(config, data, folder / "run", log=print)
    print(f"real book: {len(chosen)} passages, trained and merged in {time.perf_counter() - start:.0f} s; {result.merge_check}")
    return result, folder / "run", config


def test_a_real_book_trains_merges_and_passes_the_merge_check(book_run):
    result, run, _ = book_run
    assert len(result.data.train) >= 120
    check = result.merge_check
    # Training moved the model far more than merging did: the check compares something real.
    assert check.kl_adapter > 100 * check.kl, check
    assert result.losses[-1].eval_loss is not None


@pytest.mark.parametrize("how", [{"scale": 2.0}, {"scale": 0.5}, {"drop": "layers.0."}, {"drop": "mlp.down_proj"}])
def test_the_merge_check_fails_a_wrong_merge_of_the_same_run(book_run, tmp_path, tokenizer, how):
    from synth.models import resolve
    from train import merge

    result, run, _ = book_run
    adapter = sorted((run / "checkpoints").glob("checkpoint-*"))[-1]
    wrong = merge.merge(resolve(None), altered_adapter(adapter, tmp_path / "wrong", **how), tokenizer, tmp_path / "merged")
    conversations = [[{"role": "user", "content": r.question}, {"role": "assistant", "content": r.answer}] for r in result.data.held_out[:3]]
    with pytest.raises(merge.MergeMismatch) as failed:
        merge.check(resolve(None), adapter, wrong, tokenizer, conversations)
    print(how, failed.value)
