"""The real QLoRA train -> merge -> check -> answer on a CUDA GPU (skipped without one: conftest)."""

import json

import pytest
import torch

from train_tiny import PAIRS, altered_adapter, first_layer_grad_after_an_eval

pytestmark = [pytest.mark.gpu, pytest.mark.engine]


@pytest.fixture(scope="module")
def gpu_run(tmp_path_factory, embedded_model):
    from train import pipeline
    from train.config import TrainConfig

    folder = tmp_path_factory.mktemp("gpu")
    data = folder / "interview.jsonl"
    pairs = PAIRS * 3  # 30 records: enough that 5 are held out
    data.write_text("".join(json.dumps({"id": f"r{i}", "question": q, "answer": a, "source": {}}) + "\n" for i, (q, a) in enumerate(pairs)))
    config = TrainConfig(epochs=4, batch_size=2, learning_rate=1e-3, max_length=128, tokens_per_step=256)
    return pipeline.run(config, data, folder / "run", log=print), folder / "run"


def test_training_merging_checking_and_answering_run_on_the_gpu(gpu_run):
    result, run = gpu_run
    check = result.merge_check
    assert check.device.startswith("cuda") and check.dtype == "float32", check
    assert check.top1 == 1.0 and check.weights_off == 0 and check.kl_adapter > 10 * check.saved_kl, check
    assert result.losses[-1].train_loss < result.losses[0].train_loss
    assert result.reply.stopped and result.reply.text


def test_the_gpu_merge_check_refuses_a_wrong_merge(gpu_run, tmp_path, tokenizer):
    from voicetune.models import resolve
    from train.model import merge

    result, run = gpu_run
    wrong = merge.merge(resolve(None), altered_adapter(run / "adapter", tmp_path / "wrong", scale=2.0), tokenizer, tmp_path / "merged")
    conversations = [[{"role": "user", "content": q}, {"role": "assistant", "content": a}] for q, a in PAIRS[:3]]
    with pytest.raises(merge.MergeMismatch, match="float32 on cuda"):
        merge.check(resolve(None), run / "adapter", wrong, tokenizer, conversations)


def test_chat_runs_on_the_gpu_and_keeps_the_conversation(gpu_run):
    from train.chat import Chat

    _, run = gpu_run
    chat = Chat(run / "merged", max_new_tokens=32)
    assert next(chat.model.parameters()).device.type == "cuda"
    chat.ask(PAIRS[0][0])
    chat.ask(PAIRS[1][0])
    assert len(chat.messages) == 4


def test_the_first_layer_trains_after_an_evaluation_on_the_gpu(embedded_model, tokenizer):
    from train.model import qlora

    model = qlora.add_lora(qlora.load_4bit(embedded_model, tokenizer, False), 8, 16, 0.0, True, False)
    assert next(model.parameters()).device.type == "cuda"
    grad = first_layer_grad_after_an_eval(model, tokenizer)
    assert grad is not None and grad.abs().sum() > 0


def test_a_flash_attention_packed_row_gives_the_separate_conversations_losses(embedded_model, tokenizer):
    """The padding-free row flash-attention trains on keeps each conversation to itself."""
    pytest.importorskip("flash_attn", reason="flash_attn is in no requirements file: pip install flash-attn --no-build-isolation")
    from transformers import AutoModelForCausalLM

    from train.data.chatml import IGNORE, to_messages, tokenize
    from train.data.collate import PadCollator
    from train.data.packing import pack

    model = AutoModelForCausalLM.from_pretrained(embedded_model, dtype=torch.bfloat16, attn_implementation="flash_attention_2").cuda().eval()
    a = tokenize("a", to_messages("Why the sea?", "Because the engine room was home.", None), tokenizer)
    b = tokenize("b", to_messages("And your mother?", "She was afraid for me.", None), tokenizer)

    def loss(batch):
        batch = {k: v.cuda() for k, v in batch.items()}
        with torch.no_grad():
            logits = model(**{k: v for k, v in batch.items() if k != "labels"}, use_cache=False).logits[0, :-1].float()
        return torch.nn.functional.cross_entropy(logits, batch["labels"][0, 1:], ignore_index=IGNORE, reduction="sum").item()

    collate = PadCollator(tokenizer.pad_token_id, flatten=True)
    separate = sum(loss(collate([{"input_ids": e.input_ids, "labels": e.labels}])) for e in (a, b))
    rows = [{"input_ids": p.input_ids, "labels": p.labels, "position_ids": p.position_ids} for p in pack([a, b], max(len(a.input_ids), len(b.input_ids)))]
    assert loss(collate(rows)) == pytest.approx(separate, rel=2e-2)
