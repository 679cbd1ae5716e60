"""User errors end in one line with what to do, a non-zero exit and no traceback."""

import json

from click.testing import CliRunner

from synth.cli import cli as synth_cli
from train.cli import cli as train_cli
from tests.conftest import SAMPLE_BOOK


def run(cli, *args):
    return CliRunner().invoke(cli, list(map(str, args)))


def assert_user_error(result, *fragments):
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = result.output.strip()
    assert message.startswith("Error: ") and "\n" not in message and "Traceback" not in message
    for fragment in fragments:
        assert fragment in message


def test_missing_book(tmp_path):
    assert_user_error(run(synth_cli, "run", tmp_path / "kc.pdf"), "kc.pdf: no such file")


def test_not_a_pdf(tmp_path):
    fake = tmp_path / "kc.pdf"
    fake.write_text("just some words")
    assert_user_error(run(synth_cli, "run", fake), "is not a PDF")


def test_empty_pdf(tmp_path):
    empty = tmp_path / "kc.pdf"
    empty.write_bytes(b"")
    assert_user_error(run(synth_cli, "run", empty), "empty")


def test_pdf_without_text(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50, style="F")  # a drawing, no text: what a scan looks like to pypdf
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    assert_user_error(run(synth_cli, "run", path), "no extractable text on", "OCR")


def test_unknown_model_folder():
    assert_user_error(run(synth_cli, "run", SAMPLE_BOOK, "--model", "./no/such/model"), "no model folder")


def test_segment_shows_passages_without_a_model():
    result = run(synth_cli, "segment", SAMPLE_BOOK)
    assert result.exit_code == 0, result.output
    assert "memoir.pdf: " in result.output and " passages" in result.output


def test_train_without_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_user_error(run(train_cli, "run"), "run `make synth` first")


def test_train_on_malformed_jsonl_names_the_line(tmp_path, embedded_model):
    data = tmp_path / "interview.jsonl"
    good = json.dumps({"id": "a", "question": "Why?", "answer": "Because.", "source": {}})
    data.write_text(good + "\n{broken\n")
    assert_user_error(run(train_cli, "run", "--data", data), "interview.jsonl:2", "{broken")


def test_train_with_too_few_records(tmp_path, embedded_model):
    data = tmp_path / "interview.jsonl"
    data.write_text(json.dumps({"id": "a", "question": "", "answer": "Because.", "source": {}}) + "\n")
    assert_user_error(run(train_cli, "run", "--data", data), "0 usable conversations")


def test_a_merged_model_that_runs_on_is_still_evaluated_then_fails(tmp_path, monkeypatch):
    from train import cli as train_cli_module
    from train import chat, pipeline

    data = tmp_path / "interview.jsonl"
    data.write_text("")
    reply = chat.Reply("and then and then", tokens=256, stopped=False)
    monkeypatch.setattr(pipeline, "run", lambda *a, **k: pipeline.Result(tmp_path / "merged", [], None, "Why?", reply))
    evaluated = []
    monkeypatch.setattr(train_cli_module, "_evaluate", lambda out, **k: evaluated.append(out))
    result = run(train_cli, "run", "--data", data, "--out", tmp_path / "run")
    assert evaluated == [tmp_path / "run"]
    assert result.exit_code == 1 and "(no <|im_end|> within 256 tokens)" in result.output
    assert "Error: the merged model in " in result.output and "ran on for 256 tokens" in result.output


def test_a_folder_as_out_or_data_is_one_line(tmp_path, embedded_model):
    assert_user_error(run(synth_cli, "run", SAMPLE_BOOK, "--out", tmp_path, "--limit", 1), "is a folder", "interview.jsonl")
    assert_user_error(run(synth_cli, "stats", tmp_path), "is a folder")
    assert_user_error(run(train_cli, "run", "--data", tmp_path), "is a folder")
    assert_user_error(run(train_cli, "inspect", "--data", tmp_path), "is a folder")


def test_a_non_utf8_interview_is_one_line(tmp_path):
    data = tmp_path / "interview.jsonl"
    data.write_bytes(json.dumps({"id": "a", "question": "Caf\u00e9?", "answer": "Yes.", "source": {}}, ensure_ascii=False).encode("latin-1") + b"\n")
    assert_user_error(run(synth_cli, "stats", data), "interview.jsonl:1: not UTF-8 text")


def test_train_chat_asks_with_the_system_message_its_run_trained_with(tmp_path, monkeypatch):
    from train import chat

    (tmp_path / "merged").mkdir()
    (tmp_path / "eval_inputs.json").write_text(json.dumps({"system": "You are Agnes."}))
    asked = []

    class FakeChat:
        def __init__(self, model_dir, system, max_new_tokens):
            self.system = system

        def ask(self, question):
            asked.append(self.system)
            return chat.Reply("Yes.", 2, True)

    monkeypatch.setattr(chat, "Chat", FakeChat)
    assert run(train_cli, "chat", tmp_path / "merged", "--prompt", "Hi?").exit_code == 0
    assert run(train_cli, "chat", tmp_path / "merged", "--prompt", "Hi?", "--system", "").exit_code == 0
    assert run(train_cli, "chat", tmp_path / "merged", "--prompt", "Hi?", "--system", "Other.").exit_code == 0
    assert asked == ["You are Agnes.", None, "Other."]
