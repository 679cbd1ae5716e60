"""The train stage end to end: reviewed JSONL -> adapter -> merged model -> a first answer."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from voicetune import files, models
from voicetune.dataset import latest_output
from train.data import chatml
from train.data import dataset
from voicetune.conversations import DataError, system_message
from train import chat, fit
from train.model import merge
from train.eval import runs
from train.model import qlora
from train.config import TrainConfig


@dataclass(frozen=True)
class Result:
    merged: Path | None  # None on ranks other than 0
    losses: list[fit.EpochLoss]
    data: dataset.Dataset
    question: str | None = None
    reply: chat.Reply | None = None
    merge_check: merge.MergeCheck | None = None


STAGE_SECONDS = "stage_seconds.json"  # wall time of each training stage (bench/real_book.py prints them)


def preference_stage(config: TrainConfig, base: str, tokenizer, added: bool, data_path: Path, data: dataset.Dataset, system: str | None,
                     sft_adapter: Path, out: Path, seconds: dict, *, log=print, only_reviewed: bool = False) -> tuple[Path, list[fit.EpochLoss]]:
    """Merge the SFT adapter to out/sft/merged, then train the preference stage from it on the same
    split; returns the adapter to merge as the run's model, and the stage's losses."""
    from train import preference
    from voicetune.conversations import pairs, unanswered_pairs

    log(f"merging the SFT adapter {sft_adapter} to {out / runs.SFT_MERGED}")
    merge.merge(base, sft_adapter, tokenizer, out / runs.SFT_MERGED)
    start = time.perf_counter()  # the stage's time includes making its rejected answers
    if config.rejected == "own":
        log("the rejected side: the SFT model's own answers to the same prompts")
        raw = preference.with_own_answers(out / runs.SFT_MERGED, unanswered_pairs(data_path, only_reviewed), system, out / "preference", log=log)
    else:
        raw = pairs(data_path, only_reviewed, system)
    found = [preference.tokenize_pair(p, tokenizer, system) for p in raw]
    found = [p for p in found if max(len(p.chosen.input_ids), len(p.rejected.input_ids)) <= config.max_length]
    train_pairs, eval_pairs = preference.split(found, {e.id for e in data.train}, {c.id for c in data.held_out_conversations})
    if not train_pairs or not eval_pairs:
        raise DataError(f"{data_path}: {len(train_pairs)} preference pairs to train on and {len(eval_pairs)} held out:"
                        " both sides need pairs" + (" (`synth pairs`)" if config.rejected == "base" else ""))
    log(f"{config.preference}: {len(train_pairs)} pairs to train on, {len(eval_pairs)} held out")
    trainer, losses = preference.train(config, base, tokenizer, added, sft_adapter, train_pairs, eval_pairs, out / "preference")
    seconds["preference"] = round(time.perf_counter() - start, 1)
    log(f"stage times: SFT {seconds['sft']:.0f} s, {config.preference} {seconds['preference']:.0f} s")
    del trainer
    merge.release()
    return out / "preference" / "adapter", losses


latest_synth_output = latest_output  # synth owns where its output goes; `synth review` finds it the same way


def default_output(data_path: Path) -> Path:
    """runs/<name of the data's folder>, e.g. data/kc/interview.jsonl -> runs/kc; also for a file
    in the current folder (its absolute parent), and the file's stem where it has no parent."""
    folder = data_path.resolve().parent.name
    return Path("runs") / (folder or data_path.stem)


def run(config: TrainConfig, data_path: Path, out: Path, *, log=print, only_reviewed: bool = False, resume: bool = False) -> Result:
    files.refuse_links_in(out)  # checkpoints, adapter, merged model, report: never written through a link
    if config.preference and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise DataError("--preference runs in one process: start `train run` without torchrun/accelerate for it")
    base = models.resolve(config.base)
    tokenizer, added = qlora.load_tokenizer(base)
    system = system_message(config.system_prompt, config.persona)
    data = dataset.load(
        data_path, tokenizer, system=system, max_length=config.max_length, eval_share=config.eval_share, seed=config.seed,
        only_reviewed=only_reviewed,
    )
    log(
        f"{data_path}: training on {len(data.train)} conversations, holding out {len(data.eval)}"
        f"; by review status: {', '.join(f'{n} {status}' for status, n in sorted(data.statuses.items()))}"
        f" (left out {data.excluded} {'not accepted or edited' if only_reviewed else 'rejected'},"
        f" skipped {data.skipped_no_question} without a question, dropped {data.dropped_too_long} over {config.max_length} tokens)"
    )
    start = time.perf_counter()
    trainer, losses = fit.train(config, base, tokenizer, added, data, out, resume=resume)
    seconds = {"sft": round(time.perf_counter() - start, 1)}
    if not trainer.is_world_process_zero():
        return Result(None, losses, data)
    runs.save_run_inputs(  # what `train eval` needs: held-out records, system prompt, base, loss log
        out, base=base, system=system, held_out=data.held_out, train_ids={e.id for e in data.train},
        data_path=data_path, log_history=trainer.state.log_history,
    )
    adapter = fit.adapter_to_merge(trainer, out, config.merge)
    del trainer
    merge.release()  # the 4-bit training model leaves the GPU before the merge loads the base
    if not config.preference and (out / runs.SFT_MERGED).exists():
        shutil.rmtree(out / runs.SFT_MERGED.parent)  # an earlier run's SFT model is not this run's: `train eval` would compare it
    if config.preference:
        adapter, losses = preference_stage(config, base, tokenizer, added, data_path, data, system, adapter, out, seconds, log=log, only_reviewed=only_reviewed)
    files.write_text(out / STAGE_SECONDS, json.dumps(seconds) + "\n")
    log(f"merging {adapter}")
    merged = merge.merge(base, adapter, tokenizer, out / "merged")
    conversations = [chatml.to_messages(r.question, r.answer, system) for r in data.held_out[:3]]
    check = merge.check(base, adapter, merged, tokenizer, conversations)
    log(str(check))
    question = data.held_out[0].question
    return Result(merged, losses, data, question, chat.ask(merged, question, system), check)
