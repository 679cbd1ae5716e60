"""The preference stage (train/preference.py): pairs read through the contract, the prompt equal to
SFT's token for token, the loss on the answers only, and a real tiny run that trains and merges."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from train.data.chatml import IGNORE, tokenize
from train.preference import PairCollator, answer_logps, dpo_loss, last_answer_only, split, tokenize_pair
from voicetune import config
from voicetune.conversations import DataError, pair_key, pairs, read, system_message, turn_prefixes, usable

GENERIC = "As an AI language model, I can offer some general points. First, it depends on the context."


def write_interview(folder: Path, records: list[dict], rejected: dict[str, str], torn: str = "", cut: tuple[str, ...] = ()) -> Path:
    """interview.jsonl and its pairs sidecar, each line current for its turn's prompt under train
    run's default system message; the ids in `cut` say `"stopped": false` (cut at the token limit)."""
    path = folder / "interview.jsonl"
    path.write_text("".join(json.dumps({"source": {}, **r}) + "\n" for r in records))
    system = system_message(config.SYSTEM_PROMPT, config.PERSONA)
    prompts = {c.turns[-1].id: c.messages(system)[:-1] for c in turn_prefixes(usable(read(path)))}
    lines = "".join(json.dumps({"id": i, "key": pair_key(prompts.get(i, []), "m", {}), "rejected": text, "model": "m", "sampling": {},
                                **({"stopped": False} if i in cut else {})}) + "\n" for i, text in rejected.items())
    (folder / "interview.pairs.jsonl").write_text(lines + torn)
    return path


MULTI = [
    {"id": "a1", "question": "Where did you grow up?", "answer": "In Kellhaven, by the harbour.", "conversation": "a1", "position": 1},
    {"id": "a2", "question": "And the engines?", "answer": "They were the first thing I loved.", "conversation": "a1", "position": 2},
    {"id": "b1", "question": "Your mother?", "answer": "She was afraid for me.", "status": "rejected"},
    {"id": "c1", "question": "Advice?", "answer": "Listen to the machine."},
]


def test_pairs_follow_the_sft_selection_and_tolerate_a_torn_last_line(tmp_path):
    path = write_interview(tmp_path, MULTI, {"a1": "x", "a2": GENERIC, "b1": "y", "c1": "z"}, torn='{"id": "c1", "rejec')
    found = {p.id: p for p in pairs(path)}
    assert sorted(found) == ["a1", "a2", "c1"]  # b1 was rejected in review: its pair is dropped
    assert found["c1"].rejected == "z"  # the torn line did not replace it
    assert [t.id for t in found["a2"].conversation.turns] == ["a1", "a2"]  # the earlier turn is the prompt
    assert found["a2"].chosen == "They were the first thing I loved." and found["a2"].rejected == GENERIC


def test_a_missing_pairs_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "interview.jsonl"
    path.write_text(json.dumps({"id": "c1", "question": "Q?", "answer": "A.", "source": {}}) + "\n")
    with pytest.raises(DataError, match="synth pairs"):
        pairs(path)


def test_a_pairs_prompt_is_the_sft_prompt_token_for_token(tmp_path, tokenizer):
    path = write_interview(tmp_path, MULTI, {"a2": GENERIC, "c1": "Well, it depends."})
    system = "You are Mara, answering an interviewer."
    sft = {c.id: tokenize(c.id, c.messages(system), tokenizer) for c in usable(read(path)).conversations}
    for pair in pairs(path):
        example = tokenize_pair(pair, tokenizer, system)
        prompt = example.chosen.labels.index(next(label for label in example.chosen.labels if label != IGNORE))
        assert example.chosen.input_ids == sft[pair.conversation.id].input_ids[: len(example.chosen.input_ids)]
        assert example.rejected.input_ids[:prompt] == example.chosen.input_ids[:prompt]
        rendered = tokenizer.apply_chat_template(pair.prompt(system), tokenize=False, add_generation_prompt=True)
        assert tokenizer.decode(example.chosen.input_ids[:prompt]) == rendered


def trained_text(side, tokenizer) -> str:
    return tokenizer.decode([t for t, label in zip(side.input_ids, side.labels) if label != IGNORE])


def test_only_the_last_answers_are_trained_and_only_the_chosen_one_ends(tmp_path, tokenizer):
    path = write_interview(tmp_path, MULTI, {"a2": "Engines, yes."})
    example = tokenize_pair(pairs(path)[0], tokenizer, None)
    assert trained_text(example.chosen, tokenizer) == "They were the first thing I loved.<|im_end|>"  # not the first turn's answer, not the prompt
    assert trained_text(example.rejected, tokenizer) == "Engines, yes."  # its end marker is never pushed down


@pytest.mark.parametrize("cut", [(), ("a2", "c1")])  # whether the base model stopped or hit its token limit
def test_a_rejected_answer_is_scored_on_its_text_cut_to_the_chosen_answers_length(tmp_path, tokenizer, cut):
    short = "No."
    path = write_interview(tmp_path, MULTI, {"a2": GENERIC, "c1": short}, cut=cut)
    found = {p.id: tokenize_pair(p, tokenizer, None) for p in pairs(path)}
    chosen = len(tokenizer("They were the first thing I loved.")["input_ids"])
    assert trained_text(found["a2"].rejected, tokenizer) == tokenizer.decode(tokenizer(GENERIC)["input_ids"][:chosen])
    assert trained_text(found["c1"].rejected, tokenizer) == short  # shorter than the chosen answer: whole
    batch = PairCollator(tokenizer.pad_token_id, flatten=True)([{**found["a2"].row(), "reference": [0.0, 0.0]}])
    scored = batch["labels"][0][1:][batch["segment"][0][1:] == 1]  # the rejected side's targets, as answer_logps reads them
    assert tokenizer.eos_token_id not in scored.tolist() and (scored != IGNORE).sum() == chosen


def test_own_answers_replace_the_rejected_side_and_a_blank_one_makes_no_pair(tmp_path, monkeypatch):
    from train import preference
    from train.eval import answers
    from voicetune.conversations import unanswered_pairs
    from voicetune.engine import Generation

    path = write_interview(tmp_path, MULTI, {})
    asked = []

    def fake_generate(model, convs, sampling, **_):
        asked.extend(convs)
        return [Generation(f"own answer {i}" if i else " ", 3, True) for i in range(len(convs))]

    monkeypatch.setattr(answers, "generate", fake_generate)
    found = preference.with_own_answers(tmp_path / "sft", unanswered_pairs(path), "You are Mara.", tmp_path / "stage")
    expected = [c.messages("You are Mara.")[:-1] for c in turn_prefixes(usable(read(path)))]
    assert asked == expected  # the SFT prompts of a1, a2 and c1 (b1 was rejected in review)
    assert [(p.id, p.rejected) for p in found] == [("a2", "own answer 1"), ("c1", "own answer 2")]  # a1's blank answer: no pair
    assert len((tmp_path / "stage" / preference.OWN_ANSWERS).read_text().splitlines()) == 3


def test_last_answer_only_masks_earlier_turns():
    from train.data.chatml import Example

    example = Example("x", list(range(9)), [IGNORE, 1, 2, IGNORE, IGNORE, 5, 6, 7, IGNORE])
    assert last_answer_only(example).labels == [IGNORE] * 5 + [5, 6, 7, IGNORE]


def test_held_out_conversations_pairs_are_never_trained_on(tmp_path, tokenizer):
    path = write_interview(tmp_path, MULTI, {"a1": "x", "a2": GENERIC, "c1": "z"})
    examples = [tokenize_pair(p, tokenizer, None) for p in pairs(path)]
    train, held = split(examples, {"c1"}, {"a1"})
    assert [p.id for p in train] == ["c1"] and sorted(p.id for p in held) == ["a1", "a2"]


class FakeModel:
    """Fixed log-probs over a 4-token vocabulary; records which positions were asked for."""

    def __init__(self):
        self.kept = []

    def __call__(self, input_ids, position_ids, logits_to_keep, use_cache):
        self.kept.append(logits_to_keep.tolist())
        logits = torch.log_softmax(torch.arange(4.0) * (input_ids[..., None] + 1), -1)
        return SimpleNamespace(logits=logits[:, logits_to_keep])


def pair_row(chosen_ids, chosen_labels, rejected_ids, rejected_labels, reference=(0.0, 0.0)):
    return {"input_ids": chosen_ids + rejected_ids, "labels": chosen_labels + rejected_labels,
            "position_ids": list(range(len(chosen_ids))) + list(range(len(rejected_ids))),
            "side": [0] * len(chosen_ids) + [1] * len(rejected_ids), "reference": list(reference)}


def token_logp(previous: int, token: int) -> float:
    return torch.log_softmax(torch.arange(4.0) * (previous + 1), -1)[token].item()


def test_the_loss_reads_only_the_answers_of_both_sides():
    """Prompt tokens (-100) are never scored: changing them changes nothing but the context."""
    row = pair_row([0, 1, 2, 3], [IGNORE, IGNORE, 2, 3], [0, 1, 3], [IGNORE, IGNORE, 3])
    other = pair_row([0, 1, 2, 3], [IGNORE, IGNORE, 2, 3], [0, 1, 3, 1], [IGNORE, IGNORE, 3, 1])
    model = FakeModel()
    batch = PairCollator(pad_token_id=0)([row, other])
    chosen, rejected, tokens = answer_logps(model, batch)
    # position i predicts token i+1; trained targets: chosen 2, 3 (from 1, 2), rejected 3 (from 1) at row offset 4
    assert model.kept == [[1, 2, 5, 6]]
    assert chosen.tolist() == pytest.approx([token_logp(1, 2) + token_logp(2, 3)] * 2)
    assert rejected.tolist() == pytest.approx([token_logp(1, 3), token_logp(1, 3) + token_logp(3, 1)])
    assert tokens.tolist() == [2, 2]


def test_dpo_loss_is_log2_plus_the_nll_where_the_model_is_the_reference():
    chosen, rejected = torch.tensor([-3.0, -5.0]), torch.tensor([-4.0, -2.0])
    loss, stats = dpo_loss(chosen, rejected, torch.stack([chosen, rejected], 1), beta=0.1, sft_weight=0.5, chosen_tokens=torch.tensor([2.0, 2.0]))
    assert loss.item() == pytest.approx(torch.log(torch.tensor(2.0)).item() + 0.5 * 8 / 4)
    assert stats["margin"] == 0 and stats["accuracy"] == 0
    better, _ = dpo_loss(chosen + 1, rejected - 1, torch.stack([chosen, rejected], 1), beta=0.1, sft_weight=0.0, chosen_tokens=torch.tensor([2.0, 2.0]))
    assert better.item() < torch.log(torch.tensor(2.0)).item()


def test_flattened_rows_keep_each_pairs_segments():
    """flash-attention 2's single padding-free row: segments still tell the pairs and sides apart."""
    rows = [pair_row([0, 1, 2], [IGNORE, IGNORE, 2], [0, 1, 3], [IGNORE, IGNORE, 3]), pair_row([0, 2], [IGNORE, 2], [0, 3], [IGNORE, 3])]
    batch = PairCollator(pad_token_id=0, flatten=True)(rows)
    assert batch["input_ids"].shape == (1, 10)
    assert batch["segment"].tolist() == [[0, 0, 0, 1, 1, 1, 2, 2, 3, 3]]
    chosen, rejected, _ = answer_logps(FakeModel(), batch)
    assert chosen.tolist() == pytest.approx([token_logp(1, 2), token_logp(0, 2)])
    assert rejected.tolist() == pytest.approx([token_logp(1, 3), token_logp(0, 3)])


@pytest.mark.engine
def test_a_step_joined_into_one_row_scores_each_side_as_if_alone(tmp_path, embedded_model, tokenizer):
    """Attention stays inside each side of each pair: the restarting positions make sdpa's mask block-diagonal."""
    from transformers import AutoModelForCausalLM

    path = write_interview(tmp_path, MULTI, {"a2": GENERIC, "c1": "Well, it depends on the machine."})
    rows = [tokenize_pair(p, tokenizer, "You are Mara.") for p in pairs(path)]
    model = AutoModelForCausalLM.from_pretrained(embedded_model, dtype=torch.float32, attn_implementation="sdpa")
    joined = answer_logps(model, PairCollator(tokenizer.pad_token_id, flatten=True)([{**r.row(), "reference": [0.0, 0.0]} for r in rows]))
    for i, example in enumerate(rows):
        for side, got in ((example.chosen, joined[0][i]), (example.rejected, joined[1][i])):
            ids, labels = torch.tensor([side.input_ids]), torch.tensor([side.labels])
            logits = model(input_ids=ids).logits[0, :-1].float()
            alone = -torch.nn.functional.cross_entropy(logits, labels[0, 1:], ignore_index=IGNORE, reduction="sum")
            assert got.item() == pytest.approx(alone.item(), abs=1e-3)


def tiny_preference_run(folder: Path, **options):
    """The tiny SFT run then 3 preference steps; with --rejected base, a pairs file of GENERIC answers beside the data."""
    from train import pipeline
    from train.config import TrainConfig
    from train_tiny import PAIRS, write_data

    data = write_data(folder)
    system = system_message(config.SYSTEM_PROMPT, config.PERSONA)  # train run's default, as the pairs reader keys them
    prompts = {c.turns[-1].id: c.messages(system)[:-1] for c in turn_prefixes(usable(read(data)))}
    if options.get("rejected", TrainConfig.rejected) == "base":
        (folder / "interview.pairs.jsonl").write_text("".join(
            json.dumps({"id": f"r{i}", "key": pair_key(prompts.get(f"r{i}", []), "m", {}), "rejected": GENERIC, "model": "m", "sampling": {}}) + "\n"
            for i in range(len(PAIRS))))
    train_config = TrainConfig(epochs=1, max_steps=3, eval_share=0.2, preference="dpo", preference_learning_rate=2e-3, batch_size=2, **options)
    return pipeline.run(train_config, data, folder / "run", log=lambda *_: None)


@pytest.mark.engine
@pytest.mark.parametrize("rejected", ["own", "base"])
def test_the_preference_stage_trains_merges_and_answers(tmp_path, rejected):
    from train_tiny import PAIRS

    result = tiny_preference_run(tmp_path, rejected=rejected)
    run = tmp_path / "run"
    own = run / "preference" / "own_answers.jsonl"
    if rejected == "own":  # the SFT model answered every prompt after SFT (vLLM), with no pairs file beside the data
        made = [json.loads(line) for line in own.read_text().splitlines()]
        assert sorted(m["id"] for m in made) == sorted(f"r{i}" for i in range(len(PAIRS))) and all(m["tokens"] for m in made)
        assert "answers:" in (run / "preference" / "own_answers.log").read_text()  # the engine's output, for a failure's cause
    else:
        assert not own.exists()
    history = json.loads((run / "preference" / "log_history.json").read_text())
    margins = [h["margin"] for h in history if "margin" in h]
    assert len(margins) == 3 and margins[0] == pytest.approx(0, abs=1e-2) and margins[-1] > 0.01  # starts at the reference, moves toward the author
    assert (run / "preference" / "adapter" / "adapter_model.safetensors").exists()
    assert (run / "sft" / "merged" / "config.json").exists() and (run / "merged" / "config.json").exists()
    assert result.merge_check.weights_off == 0 and result.reply is not None
    assert set(json.loads((run / "stage_seconds.json").read_text())) == {"sft", "preference"}


@pytest.mark.gpu
@pytest.mark.engine
def test_the_preference_stage_runs_on_the_gpu(tmp_path):
    """Device placement as for SFT: the 4-bit model, its reference pass and the merge check on the GPU."""
    from train import preference

    placed = []
    plain = preference.reference_logps

    def recording(model, rows, collator, batch):
        placed.append(next(model.parameters()).device.type)
        return plain(model, rows, collator, batch)

    preference.reference_logps = recording
    try:
        result = tiny_preference_run(tmp_path, rejected="base")  # own answers need vLLM, which the lent GPU machine lacks
    finally:
        preference.reference_logps = plain
    assert placed == ["cuda", "cuda"] and result.merge_check.device.startswith("cuda"), result.merge_check
    margins = [h["margin"] for h in json.loads((tmp_path / "run" / "preference" / "log_history.json").read_text()) if "margin" in h]
    assert margins[-1] > 0.01
