"""`train`: reviewed interview.jsonl -> QLoRA adapter -> merged model. Thin: options in, one call."""

from __future__ import annotations

import os
from pathlib import Path

import click

from voicetune.models import DEFAULT_MODEL, ModelNotFound
from voicetune.records import MalformedFile
from voicetune.prompts import MissingVariables
from train.data.chatml import NoTrainableTokens
from train.config import REJECTED, TrainConfig
from voicetune.config import POSITIVE, Range, option_range
from voicetune.errors import unwritable
from voicetune.conversations import DataError
from train.eval.answers import FREQUENCY_PENALTY
from voicetune.engine import ANSWER_MAX_TOKENS
from train.model.merge import MergeMismatch


@click.group()
def cli():
    """Fine-tune a chat model on reviewed interview pairs."""


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), default=None, help="interview.jsonl [the latest under data/].")
@click.option("--base", default=None, help=f"Base model: local folder or hub id [embedded {DEFAULT_MODEL}].")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Output folder [runs/<book>].")
@click.option("--epochs", type=float, default=TrainConfig.epochs, show_default=True, help="Passes over the data; fractions too (0.5).")
@click.option("--max-steps", default=TrainConfig.max_steps, show_default=True, help="Stop after N steps (> 0).")
@click.option("--batch-size", default=TrainConfig.batch_size, show_default=True)
@click.option("--grad-accum", default=TrainConfig.grad_accum, show_default=True)
@click.option("--learning-rate", default=TrainConfig.learning_rate, show_default=True)
@click.option("--lora-r", default=TrainConfig.lora_r, show_default=True)
@click.option("--lora-alpha", default=TrainConfig.lora_alpha, show_default=True)
@click.option("--max-length", default=TrainConfig.max_length, show_default=True, help="Token limit per conversation.")
@click.option("--persona", default=TrainConfig.persona, show_default=True, help="Who the model speaks as (system prompt).")
@click.option("--system-prompt", default=TrainConfig.system_prompt, show_default=True, help="Template in prompts/, a path, or '' for none.")
@click.option("--only-reviewed", is_flag=True, help="Train on accepted and edited records only [default: all but rejected].")
@click.option("--eval-share", default=TrainConfig.eval_share, show_default=True, help="Share of records held out (never trained on).")
@click.option("--no-eval", is_flag=True, help="Skip the held-out evaluation (`train eval`) after training.")
@click.option("--save-steps", default=TrainConfig.save_steps, show_default=True, help="Also checkpoint every N steps (0: each epoch only).")
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint in OUT/checkpoints (optimizer, scheduler, data position).")
@click.option("--merge", type=click.Choice(["best", "last"]), default=TrainConfig.merge, show_default=True, help="Merge the checkpoint with the lowest eval loss, or the final adapter.")
@click.option("--packing/--no-packing", default=TrainConfig.packing, show_default=True, help="Pack conversations into sequences (no padding).")
@click.option("--tokens-per-step", default=TrainConfig.tokens_per_step, show_default=True,
              help="Packed tokens per step and process [0: GPU --batch-size rows of --max-length; CPU --batch-size average conversations].")
@click.option("--preference", type=click.Choice(["dpo"]), default=None, help="After SFT, a preference stage on interview.pairs.jsonl (the author's passage over the base model's answer).")
@click.option("--preference-epochs", default=TrainConfig.preference_epochs, show_default=True, help="Passes over the pairs.")
@click.option("--preference-learning-rate", default=TrainConfig.preference_learning_rate, show_default=True)
@click.option("--beta", default=TrainConfig.beta, show_default=True, help="DPO's beta.")
@click.option("--sft-weight", default=TrainConfig.sft_weight, show_default=True, help="Weight of the author's answers' NLL in the preference loss (0: plain DPO).")
@click.option("--rejected", type=click.Choice(REJECTED), default=TrainConfig.rejected, show_default=True,
              help="The answer the author's passage is preferred over: the SFT model's own (generated after SFT) or the base model's (`synth pairs`).")
def run(data, out, only_reviewed, resume, **options):
    """Train on DATA, merge the adapter, and ask the merged model one held-out question."""
    from train import pipeline

    data = data or pipeline.latest_synth_output()
    if data is None:
        raise click.ClickException("no data/*/interview.jsonl found: run `make synth` first, or pass --data FILE")
    if not data.exists():
        raise click.ClickException(f"{data}: no such file")
    options["system_prompt"] = options["system_prompt"] or None
    no_eval = options.pop("no_eval")
    config = config_from(options)
    out = out or pipeline.default_output(data)
    if out.exists() and not out.is_dir():
        raise click.ClickException(f"{out} is a file: --out takes a folder (a new one, or an earlier run's to replace)")
    if problem := unwritable(out):
        raise click.ClickException(problem)
    try:
        result = pipeline.run(config, data, out, log=click.echo, only_reviewed=only_reviewed, resume=resume)
    except (ModelNotFound, MalformedFile, DataError, NoTrainableTokens, MissingVariables, FileNotFoundError, MergeMismatch) as e:
        raise click.ClickException(str(e)) from None
    if result.merged is None:
        return
    click.echo("\nepoch  train loss  eval loss")
    for row in result.losses:
        click.echo(f"{row.epoch:>5}  {_fmt(row.train_loss):>10}  {_fmt(row.eval_loss):>9}")
    click.echo(f"\nMerged model: {result.merged}")
    click.echo(f"Q: {result.question}\nA: {result.reply.text}")
    stopped = result.reply.stopped
    click.echo(f"({'stopped at <|im_end|> after' if stopped else 'no <|im_end|> within'} {result.reply.tokens} tokens)")
    if not no_eval:  # also when it ran on: the report's "stopped" row says how often that happens
        from train.eval.runs import EvalError

        try:
            _evaluate(out)
        except EvalError as e:  # the model is trained and saved; say why there is no report
            click.echo(f"\nNo evaluation: {e}", err=True)
    if not stopped:
        raise click.ClickException(f"the merged model in {result.merged} ran on for {result.reply.tokens} tokens without <|im_end|>:"
                                   " train more (--epochs) or on more records, and see the 'stopped' row of `make eval`")


@cli.command(name="eval")
@click.argument("run_dir", required=False, type=click.Path(path_type=Path))
@click.option("--base", default=None, help="Base model to compare with [the run's base].")
@click.option("--tuned", default=None, help="Tuned model folder [RUN_DIR/merged].")
@click.option("--max-tokens", default=ANSWER_MAX_TOKENS, show_default=True, callback=option_range(POSITIVE), help="Token limit per answer (same for both models).")
@click.option("--frequency-penalty", default=FREQUENCY_PENALTY, show_default=True, callback=option_range(Range(-2.0, 2.0)), help="Penalty on tokens an answer has already used (both models; 0: plain greedy).")
@click.option("--verbose", is_flag=True, help="Show vLLM's own output on the terminal too (it always goes to RUN_DIR/eval.log).")
def eval_(run_dir, base, tuned, max_tokens, frequency_penalty, verbose):
    """Score the base and the tuned model on RUN_DIR's held-out records; write RUN_DIR/report.md.

    The likelihood of the author's true passages, then both models' answers to the held-out questions,
    scored for style and content, and RUN_DIR/blind.jsonl's guesses when someone took the blind test
    (`synth review --blind RUN_DIR`). RUN_DIR is a folder `train run` wrote [the latest under runs/]."""
    from train.eval.blind import BlindFileError
    from train.eval.answers import GenerationFailed
    from train.eval.runs import EvalError, latest_run

    run_dir = run_dir or latest_run()
    if run_dir is None:
        raise click.ClickException("no trained run under runs/: run `make train` first, or pass RUN_DIR")
    try:
        _evaluate(run_dir, base=base, tuned=tuned, max_tokens=max_tokens, frequency_penalty=frequency_penalty, verbose=verbose)
    except (EvalError, ModelNotFound, GenerationFailed, MalformedFile, BlindFileError) as e:
        raise click.ClickException(str(e)) from None


def _evaluate(run_dir: Path, **options) -> None:
    from train.eval import evaluate, report

    result = evaluate.evaluate(run_dir, log=click.echo, progress=lambda line: click.echo(line, err=True), **options)
    path = report.write(result)
    click.echo("\n" + report.terminal(result, path))


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), default=None, help="interview.jsonl [the latest under data/].")
@click.option("--base", default=None, help=f"Base model (its tokenizer) [embedded {DEFAULT_MODEL}].")
@click.option("--record", "record_id", default=None, help="Show this record id [the first].")
@click.option("--max-length", default=TrainConfig.max_length, show_default=True)
@click.option("--persona", default=TrainConfig.persona, show_default=True)
@click.option("--system-prompt", default=TrainConfig.system_prompt, show_default=True)
def inspect(data, record_id, **options):
    """Show one conversation as training sees it (masked tokens in [brackets]) and length statistics."""
    from train import inspect as inspection
    from train import pipeline

    data = data or pipeline.latest_synth_output()
    if data is None or not data.exists():
        raise click.ClickException(f"{data or 'data/*/interview.jsonl'}: no such file; pass --data FILE")
    options["system_prompt"] = options["system_prompt"] or None
    try:
        click.echo(inspection.run(config_from(options), data, record_id=record_id))
    except (ModelNotFound, MalformedFile, DataError, NoTrainableTokens, MissingVariables) as e:
        raise click.ClickException(str(e)) from None


@cli.command()
@click.argument("model_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--prompt", default=None, help="Ask one question and exit [an interactive loop].")
@click.option("--system", default=None, help="System message ['' for none; default: the one the run trained with, from RUN/eval_inputs.json].")
@click.option("--max-new-tokens", default=256, show_default=True, callback=option_range(POSITIVE))
def chat(model_dir, prompt, system, max_new_tokens):
    """Talk to a merged model with its own chat template; each reply stops at <|im_end|>.
    The model is loaded once (on the GPU where there is one) and remembers the conversation."""
    from train.data.dataset import trained_system
    from train.chat import Chat

    try:
        chat = Chat(model_dir, trained_system(model_dir) if system is None else system or None, max_new_tokens)
    except ModelNotFound as e:
        raise click.ClickException(str(e)) from None
    questions = [prompt] if prompt is not None else iter(lambda: click.prompt("you", default="", show_default=False), "")
    for question in questions:
        reply = chat.ask(question)
        click.echo(reply.text + ("" if reply.stopped else f"\n(cut at {max_new_tokens} tokens, no <|im_end|>)"))


def config_from(options: dict) -> TrainConfig:
    """The options as a TrainConfig; one out of range (checked there) is a one-line error."""
    try:
        return TrainConfig.from_dict(options)
    except ValueError as e:
        raise click.ClickException(str(e)) from None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def main():
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cli()
