"""Where models run and what the merge check, chat and the CLI decide: pure rules, run everywhere."""

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from train import chat
from train.model import merge
from train.model import qlora
from train.pipeline import default_output


def test_a_process_uses_its_own_gpu_and_the_cpu_only_without_one():
    assert qlora.device(cuda_devices=0, local_rank="3") == "cpu"
    assert qlora.device(cuda_devices=1, local_rank="") == "cuda:0"
    assert qlora.device(cuda_devices=4, local_rank="2") == "cuda:2"
    with pytest.raises(RuntimeError, match="LOCAL_RANK 2 but only 2 GPU"):
        qlora.device(cuda_devices=2, local_rank="2")


def test_the_whole_model_goes_to_this_process_gpu_or_the_cpu(monkeypatch):
    # from_pretrained's device_map: "" maps every module, so nothing is offloaded or split.
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert qlora.device_map() == {"": "cuda:1"}
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    assert qlora.device_map() == {"": "cpu"}


def test_flash_attention_only_on_a_gpu_that_has_it():
    assert qlora.attention("cuda:0", flash_installed=True) == "flash_attention_2"
    assert qlora.attention("cuda:0", flash_installed=False) == "sdpa"
    assert qlora.attention("cpu", flash_installed=True) == "sdpa"


def test_every_loader_puts_its_model_on_this_process_device(monkeypatch, tmp_path):
    """The 4-bit training model, the merge and check models and chat's model all load where
    device() says: on a GPU machine, the GPU."""
    import transformers

    placed = []

    class Stop(Exception):
        pass

    def from_pretrained(*args, device_map=None, **kwargs):
        placed.append(device_map)
        raise Stop

    monkeypatch.setattr(qlora, "device", lambda *a, **k: "cuda:0")
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", from_pretrained)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lambda *a, **k: None)
    (tmp_path / "config.json").write_text("{}")  # a model folder, as train chat checks before loading
    calls = [
        lambda: qlora.load_4bit("base", None, False),
        lambda: qlora.load_with_adapter("base", "adapter", None),
        lambda: merge.merge("base", tmp_path, None, tmp_path / "out"),
        lambda: merge.check("base", tmp_path, tmp_path, type("T", (), {"apply_chat_template": lambda *a, **k: {"input_ids": None}})(), [[]]),
        lambda: chat.Chat(tmp_path),
    ]
    for call in calls:
        with pytest.raises(Stop):
            call()
    assert placed == [{"": "cuda:0"}] * len(calls)


def test_inputs_follow_the_model_to_its_device():
    class OnMeta(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.empty(1, device="meta"))

    assert qlora.on_device(torch.tensor([[1, 2]]), OnMeta()).device.type == "meta"


def test_agreement_is_top1_share_and_mean_kl():
    reference = torch.tensor([[2.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
    top1, kl = merge.agreement(reference, reference + 5.0)  # a constant shift changes no probability
    assert top1 == 1.0 and kl == pytest.approx(0.0, abs=1e-6)
    swapped = torch.tensor([[0.0, 2.0, 0.0], [0.0, 3.0, 0.0]])
    top1, kl = merge.agreement(reference, swapped)
    p = reference[0].softmax(-1)
    expected = (p * (p.log() - swapped[0].log_softmax(-1))).sum().item() / 2
    assert top1 == 0.5 and kl == pytest.approx(expected, rel=1e-5)


def test_repetition_penalty_spares_the_eos_token():
    scores = torch.tensor([[2.0, 2.0, 2.0]])
    seen = torch.tensor([[0, 2]])  # tokens 0 and 2 (eos) are in the prompt
    out = chat.keep_eos(2.0, eos=2)(seen, scores.clone())
    assert out.tolist() == [[1.0, 2.0, 2.0]]


@pytest.mark.parametrize("data, run", [
    ("data/kc/interview.jsonl", "runs/kc"),
    ("interview.jsonl", "runs/{cwd}"),
])
def test_the_run_folder_is_named_after_the_data_folder(data, run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_output(Path(data)) == Path(run.format(cwd=tmp_path.name))


def test_fractional_epochs_reach_the_config(monkeypatch, tmp_path):
    from train import pipeline
    from train.cli import cli

    seen = {}

    def run(config, *args, **kwargs):
        seen["epochs"] = config.epochs
        raise FileNotFoundError("stop here")

    monkeypatch.setattr(pipeline, "run", run)
    data = tmp_path / "interview.jsonl"
    data.write_text("")
    result = CliRunner().invoke(cli, ["run", "--data", str(data), "--epochs", "0.5"])
    assert seen == {"epochs": 0.5} and "stop here" in result.output


def test_chat_loads_the_model_once_and_asks_with_the_conversation_so_far(monkeypatch, tmp_path):
    from train.cli import cli

    made, asked = [], []

    class FakeChat:
        def __init__(self, model_dir, system, max_new_tokens):
            made.append(model_dir)
            self.history = []

        def ask(self, question):
            asked.append(list(self.history))
            self.history.append(question)
            return chat.Reply("fine", 1, True)

    monkeypatch.setattr(chat, "Chat", FakeChat)
    result = CliRunner().invoke(cli, ["chat", str(tmp_path)], input="first\nsecond\n\n")
    assert result.exit_code == 0, result.output
    assert made == [tmp_path] and asked == [[], ["first"]]


def test_a_chat_answers_with_its_earlier_turns_in_the_prompt(embedded_model):
    talk = chat.Chat(embedded_model, "You are Agnes.", max_new_tokens=4)
    first = talk.ask("Where were you born?")
    talk.ask("And then?")
    assert [m["role"] for m in talk.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert talk.messages[1:3] == [{"role": "user", "content": "Where were you born?"}, {"role": "assistant", "content": first.text}]


def test_saved_tensors_must_be_the_merge_rounded_to_their_dtype(tmp_path):
    """One rounding to bf16 is allowed; anything more (a scaled or missing delta) counts."""
    from safetensors.torch import save_file

    merged = torch.nn.Linear(64, 64, bias=False)
    with torch.no_grad():
        merged.weight.copy_(torch.randn(64, 64))
    weight = merged.weight.detach()
    save_file({"weight": weight.to(torch.bfloat16)}, tmp_path / "model.safetensors")
    assert merge.differing_tensors(merged, tmp_path) == 0
    save_file({"weight": (weight * 1.02).to(torch.bfloat16)}, tmp_path / "model.safetensors")
    assert merge.differing_tensors(merged, tmp_path) == 1
    save_file({"other": weight.to(torch.bfloat16)}, tmp_path / "model.safetensors")
    assert merge.differing_tensors(merged, tmp_path) == 1
