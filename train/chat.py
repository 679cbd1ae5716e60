"""A merged model to talk to: `train chat`, and the first answer `train run` prints."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from train.model import qlora
from voicetune.models import ModelNotFound, compute_dtype


@dataclass(frozen=True)
class Reply:
    text: str
    tokens: int
    stopped: bool  # ended with the eos token, not at the token limit


def keep_eos(penalty: float, eos: int):
    """transformers' repetition penalty, except for the eos token: a ChatML prompt holds an
    <|im_end|> after every message, so the plain penalty pushes the model away from ending its
    answer, and a lightly trained model runs on to the token limit."""
    from transformers import RepetitionPenaltyLogitsProcessor

    plain = RepetitionPenaltyLogitsProcessor(penalty)

    def process(input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        eos_scores = scores[:, eos].clone()
        scores = plain(input_ids, scores)
        scores[:, eos] = eos_scores
        return scores

    return process


def check_model_folder(model_dir: Path | str) -> None:
    """ModelNotFound, in one line, where `model_dir` holds no readable model config: transformers
    would answer an empty folder or a damaged config.json with pages of tracebacks."""
    config = Path(model_dir) / "config.json"
    hint = "pass a merged model folder, e.g. runs/<name>/merged, which `train run` writes"
    if not config.is_file():
        raise ModelNotFound(f"{model_dir}: no config.json, so not a model folder; {hint}")
    try:
        if not isinstance(json.loads(config.read_text(encoding="utf-8")), dict):
            raise ValueError("not a JSON object")
    except (ValueError, OSError) as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ModelNotFound(f"{config}: not a readable model config ({e}); {hint}, or train again") from None


class Chat:
    """A merged model loaded once, on this process's device, and the conversation so far: each
    question is asked after the earlier questions and answers."""

    def __init__(self, model_dir: Path | str, system: str | None = None, max_new_tokens: int = 256):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        check_model_folder(model_dir)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
            self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=compute_dtype(), device_map=qlora.device_map())
        except (OSError, ValueError) as e:  # weights or tokenizer files missing or damaged
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelNotFound(f"{model_dir}: cannot load the model ({first}); pass a merged model folder that `train run` wrote") from None
        self.model.eval()
        self.max_new_tokens = max_new_tokens
        self.system = system
        self.history: list[tuple[str, str]] = []  # (question, answer) so far

    @property
    def messages(self) -> list[dict]:
        """The conversation so far, as the model sees it."""
        from voicetune.chat import conversation

        return conversation(self.history, self.system)

    def ask(self, question: str) -> Reply:
        from transformers import LogitsProcessorList

        from voicetune.chat import prompt

        messages = prompt(question, self.system, self.history)
        inputs = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        inputs = {k: qlora.on_device(v, self.model) for k, v in inputs.items()}
        eos = self.model.generation_config.eos_token_id
        eos = eos[0] if isinstance(eos, list) else eos
        with torch.no_grad():
            output = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                         logits_processor=LogitsProcessorList([keep_eos(1.1, eos)]))
        new = output[0, inputs["input_ids"].shape[1] :]
        stopped = len(new) > 0 and int(new[-1]) == eos
        reply = Reply(self.tokenizer.decode(new, skip_special_tokens=True).strip(), len(new), stopped)
        self.history.append((question, reply.text))
        return reply


def ask(model_dir: Path | str, question: str, system: str | None = None, max_new_tokens: int = 256) -> Reply:
    return Chat(model_dir, system, max_new_tokens).ask(question)
