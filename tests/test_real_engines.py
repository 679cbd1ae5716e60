"""The real training engines, no mocks: bitsandbytes quantizes, peft trains, the merge reloads.
(vLLM's real runs are in test_real_synth.py.)"""

import json

import pytest

pytestmark = pytest.mark.engine

ANSWERS = [
    ("Why did you want to work on engines?", "Because the engine room was the only place where I felt I understood how the world worked."),
    ("How did your mother feel about it?", "She was afraid for me. Her brother drowned when she was twelve, and she never forgot it."),
    ("What did your uncle teach you?", "Rab taught me the names of every part, and that you never let the raw water strainer clog."),
    ("How did it feel to be turned away?", "It made me angry, and then it made me stubborn. I kept every letter that said no."),
    ("What was the night of the storm like?", "The shaft ran hot and I was frightened, but I kept my hands steady and did the checks."),
    ("Why did you come ashore?", "My mother needed me. I could fix an engine, but I could not fix her memory."),
    ("What did teaching give you?", "Teaching gave me a reason to say out loud everything I had learned the hard way."),
    ("What would you tell a young engineer?", "Listen to the machine. It tells you what is wrong long before it breaks."),
    ("What did Kellhaven teach you?", "That a small town holds you up and holds you down with the same pair of hands."),
    ("Do you miss the sea?", "Every morning. I still wake at four and listen for the engines."),
]


TRAINED_MODEL = {}  # what the training model was made of, recorded while it trains


def record_layers(train):
    """fit.train, noting the trained model's Linear4bit layers and what each LoRA layer wraps."""
    import bitsandbytes as bnb

    def recording(*args, **kwargs):
        trainer, losses = train(*args, **kwargs)
        modules = dict(trainer.model.named_modules())
        TRAINED_MODEL["linear4bit"] = sum(isinstance(m, bnb.nn.Linear4bit) for m in modules.values())
        TRAINED_MODEL["lora_bases"] = {isinstance(m.base_layer, bnb.nn.Linear4bit) for m in modules.values() if hasattr(m, "lora_A") and hasattr(m, "base_layer")}
        TRAINED_MODEL["lora_targets"] = {n.rsplit(".", 1)[-1] for n, m in modules.items() if hasattr(m, "lora_A") and hasattr(m, "base_layer")}
        return trainer, losses

    return recording


@pytest.fixture(scope="module")
def trained(tmp_path_factory, embedded_model):
    from train import fit, pipeline
    from train.config import TrainConfig

    folder = tmp_path_factory.mktemp("train")
    data = folder / "interview.jsonl"
    data.write_text("".join(json.dumps({"id": f"r{i}", "question": q, "answer": a, "source": {}}) + "\n" for i, (q, a) in enumerate(ANSWERS)))
    config = TrainConfig(epochs=4, batch_size=3, learning_rate=1e-3, max_length=256, eval_share=0.1, persona="Agnes Tarrow")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fit, "train", record_layers(fit.train))
        return pipeline.run(config, data, folder / "run", log=lambda *_: None), folder / "run"


def test_qlora_lowers_the_training_loss(trained):
    result, _ = trained
    assert len(result.data.train) == 9 and len(result.data.eval) == 1
    first, last = result.losses[0], result.losses[-1]
    assert len(result.losses) == 4 and all(row.eval_loss is not None for row in result.losses)
    assert last.train_loss < first.train_loss * 0.9, result.losses


def test_base_is_really_4bit_with_lora_on_all_linear_layers(trained):
    """The model that trained: every LoRA layer wraps a bitsandbytes Linear4bit (30 blocks x 7)."""
    _, run = trained
    assert TRAINED_MODEL["lora_bases"] == {True} and TRAINED_MODEL["linear4bit"] == 30 * 7, TRAINED_MODEL
    assert TRAINED_MODEL["lora_targets"] == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    config = json.loads((run / "adapter" / "adapter_config.json").read_text())
    assert (config["r"], config["lora_alpha"], config["lora_dropout"]) == (64, 16, 0.1)


def test_merged_model_reloads_answers_and_stops_at_im_end(trained):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from train.chat import ask

    result, run = trained
    merged = run / "merged"
    assert result.merged == merged and result.reply.stopped and result.reply.text
    tokenizer = AutoTokenizer.from_pretrained(merged)
    model = AutoModelForCausalLM.from_pretrained(merged)
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert model.generation_config.eos_token_id == im_end == tokenizer.eos_token_id
    assert "<|im_start|>" in tokenizer.chat_template
    assert not any("lora" in name for name, _ in model.named_parameters())
    reply = ask(merged, "Why did you come ashore?", "You are Agnes Tarrow.")
    assert reply.stopped and reply.text


@pytest.mark.parametrize("how", [{"scale": 0.0}, {"scale": 2.0}])
def test_the_merge_check_refuses_a_merge_without_or_with_twice_the_adapter(trained, tmp_path, tokenizer, how):
    from voicetune.models import resolve
    from train.model import merge
    from train.model import qlora
    from train_tiny import altered_adapter

    result, run = trained
    assert result.merge_check.prompts == 1  # the pipeline's own check passed on the right merge
    adapter = run / "adapter"
    wrong = merge.merge(resolve(None), altered_adapter(adapter, tmp_path / "wrong", **how), tokenizer, tmp_path / "merged")
    conversations = [[{"role": "user", "content": q}, {"role": "assistant", "content": a}] for q, a in ANSWERS[:3]]
    right = merge.merge(resolve(None), adapter, tokenizer, tmp_path / "right")
    merge.check(resolve(None), adapter, right, tokenizer, conversations)
    with pytest.raises(merge.MergeMismatch, match=f"float32 on {qlora.device()}"):
        merge.check(resolve(None), adapter, wrong, tokenizer, conversations)


def test_training_after_an_evaluation_still_reaches_the_first_layer(embedded_model, tokenizer):
    """Regression: bitsandbytes' CPU inference repacking at the first eval cut the backward pass."""
    from train.model import qlora
    from train_tiny import first_layer_grad_after_an_eval

    model = qlora.add_lora(qlora.load_4bit(embedded_model, tokenizer, False), 8, 16, 0.0, False, False)
    grad = first_layer_grad_after_an_eval(model, tokenizer)
    assert grad is not None and grad.abs().sum() > 0
