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


def test_out_of_range_options_are_one_line_before_any_work(tmp_path, monkeypatch):
    # --limit -1 used 27 of 28 passages, --epochs -1 saved an untrained adapter as a finished run,
    # --batch-size 0 trained, --temperature 7 failed in vLLM after its engine had started.
    from synth import pipeline as synth_pipeline
    from train import pipeline as train_pipeline

    def no_work(*args, **kwargs):
        raise AssertionError("work started with an option out of range")

    monkeypatch.setattr(synth_pipeline, "gather", no_work)
    monkeypatch.setattr(train_pipeline, "run", no_work)
    data = tmp_path / "interview.jsonl"
    data.write_text("")
    for args, fragment in [
        (["--limit", -1], "--limit must be ≥ 1, got -1"), (["--limit", 0], "--limit"),
        (["--max-chars", 0], "--max-chars"), (["--max-chars", -5], "--max-chars"),
        (["--min-chars", 5000, "--max-chars", 100], "--min-chars (5000) must not exceed --max-chars (100)"),
        (["--temperature", 7], "--temperature must be in [0.0, 2.0]"), (["--top-p", 0], "--top-p"), (["--min-p", 1.5], "--min-p"),
        (["--max-tokens", 0], "--max-tokens"), (["--candidates", 0], "--candidates"), (["--alternatives", -1], "--alternatives"), (["-n", 0], "--questions-per-passage"),
        (["--retries", -1], "--retries"), (["--concurrency", 0], "--concurrency"), (["--seed", -1], "--seed"),
    ]:
        assert_user_error(run(synth_cli, "run", SAMPLE_BOOK, *args), fragment)
    for args in (["--limit", 0], ["--min-chars", 5000, "--max-chars", 100], ["--show", -1]):
        assert_user_error(run(synth_cli, "segment", SAMPLE_BOOK, *args), args[-2])
    for args, fragment in [(["--epochs", -1], "--epochs must be > 0"), (["--batch-size", 0], "--batch-size must be ≥ 1"),
                           (["--max-steps", 0], "--max-steps"), (["--eval-share", 1], "--eval-share"), (["--learning-rate", 0], "--learning-rate")]:
        assert_user_error(run(train_cli, "run", "--data", data, *args), fragment)
    assert_user_error(run(train_cli, "inspect", "--data", data, "--max-length", 0), "--max-length")
    assert_user_error(run(train_cli, "eval", tmp_path, "--max-tokens", 0), "--max-tokens")
    assert_user_error(run(train_cli, "eval", tmp_path, "--frequency-penalty", 3), "--frequency-penalty")
    assert_user_error(run(train_cli, "chat", tmp_path, "--max-new-tokens", 0), "--max-new-tokens")
    assert_user_error(run(synth_cli, "export", data, "--eval-share", -0.1), "--eval-share")


def test_a_config_from_a_dict_is_checked_too():
    import pytest
    from synth.config import SynthConfig
    from train.config import TrainConfig

    with pytest.raises(ValueError, match="--epochs must be > 0, got -1"):
        TrainConfig.from_dict({"epochs": -1})
    with pytest.raises(ValueError, match="--temperature"):
        SynthConfig.from_dict({"temperature": 7.0})
    assert TrainConfig.from_dict({"max_steps": -1}).max_steps == -1  # -1: no step limit


def refuse_writes_in(folder, monkeypatch):
    """`folder` refuses new files: by its mode, and, where the tests run as root (who writes in
    any folder), by the kernel's answer to a non-root user, given to the probe in its place."""
    import errno
    import os
    import tempfile

    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:
        real = tempfile.TemporaryFile

        def temporary_file(*args, dir=None, **kwargs):
            if dir is not None and os.path.realpath(dir) == os.path.realpath(folder):
                raise PermissionError(errno.EACCES, "Permission denied")
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "TemporaryFile", temporary_file)


def test_out_where_nothing_can_be_written_is_one_line_before_any_work(tmp_path, monkeypatch):
    from synth import synthesis
    from train import pipeline as train_pipeline

    monkeypatch.setattr(synthesis, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("generation started")))
    monkeypatch.setattr(train_pipeline, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("training started")))
    locked = tmp_path / "locked"
    refuse_writes_in(locked, monkeypatch)
    data = tmp_path / "interview.jsonl"
    data.write_text(json.dumps({"id": "a", "question": "Why?", "answer": "Because.", "source": {}}) + "\n")
    assert_user_error(run(synth_cli, "run", SAMPLE_BOOK, "--limit", 1, "--out", locked / "i.jsonl"), "cannot write there", "--out")
    assert_user_error(run(synth_cli, "export", data, "--out", locked / "i.messages.jsonl"), "cannot write there")
    assert_user_error(run(synth_cli, "export", data, "--format", "hf", "--out", locked / "hf"), "cannot write there")
    assert_user_error(run(train_cli, "run", "--data", data, "--out", locked / "run"), "cannot write there")
    assert_user_error(run(train_cli, "run", "--data", data, "--out", data), "is a file", "--out takes a folder")


def test_train_chat_on_a_folder_without_a_model_is_one_line(tmp_path):
    assert_user_error(run(train_cli, "chat", tmp_path, "--prompt", "Hi?"), "no config.json", "runs/<name>/merged")
    (tmp_path / "config.json").write_text("{not json")
    assert_user_error(run(train_cli, "chat", tmp_path, "--prompt", "Hi?"), "config.json: not a readable model config")


# -- synth segment --jsonl: exactly what training gets, one passage a line -----------------------

INTERVIEW = """**Ada Host:** Welcome. Today I have Ben Guest with me.

**Ben Guest:** Hello!

**Ada Host:** So where did it all start for you?

**Ben Guest:** {answer}

**Ada Host:** I see. That is a lovely story.

**Ben Guest:** {answer}
"""


def segment_jsonl(tmp_path, *args):
    out = tmp_path / "passages.jsonl"
    result = run(synth_cli, "segment", *args, "--stats", "--jsonl", out)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert f"Wrote {len(lines)} passages to {out}" in result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("passages")) == ["passages.jsonl"]  # no temporary file left
    return lines


def test_segment_jsonl_of_a_book_has_every_passage_with_its_chapter_and_pages(tmp_path):
    from synth import pipeline

    lines = segment_jsonl(tmp_path, SAMPLE_BOOK)
    passages = pipeline.passages(SAMPLE_BOOK, pipeline.SegmentOptions())
    assert len(lines) == len(passages) == 28
    for line, p in zip(lines, passages):
        assert list(line) == ["id", "text", "chapter", "source", "question", "speaker"]
        assert (line["id"], line["text"], line["chapter"]) == (p.id, p.text, p.chapter)
        assert line["source"] == {"file": "memoir.pdf", "pages": p.pages, "chars": [p.start, p.end]}
        assert line["question"] is None and line["speaker"] is None
    assert lines[0]["chapter"] == "Chapter 1: The Harbour at Kellhaven"
    assert lines[0]["text"].startswith("I was born in Kellhaven") and lines[0]["source"]["pages"] == "2"


def test_segment_jsonl_of_a_transcript_keeps_the_real_question_and_the_speaker(tmp_path):
    answer = "I grew up by the sea, and the boats were the first machines I ever loved. " * 5
    book = tmp_path / "ep.md"
    book.write_text(INTERVIEW.format(answer=answer.strip()), encoding="utf-8")
    lines = segment_jsonl(tmp_path, book, "--persona", "Ben")
    assert [(line["source"]["turns"], line["question"]) for line in lines] == [("3-4", "So where did it all start for you?"), ("6", None)]
    assert all(line["text"] == answer.strip() and line["speaker"] == "Ben Guest" and line["chapter"] is None for line in lines)
    assert lines[0]["source"] == {"file": "ep.md", "turns": "3-4", "chars": [lines[0]["source"]["chars"][0], lines[0]["source"]["chars"][0] + len(answer.strip())]}


def test_segment_jsonl_replaces_the_file_and_never_writes_through_a_link(tmp_path):
    out = tmp_path / "passages.jsonl"
    out.write_text("old\n" * 100)
    result = run(synth_cli, "segment", SAMPLE_BOOK, "--limit", "2", "--jsonl", out)
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 2
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    assert_user_error(run(synth_cli, "segment", SAMPLE_BOOK, "--jsonl", link), "link.jsonl is a symbolic link")
    assert target.read_text() == "keep me\n"
    assert_user_error(run(synth_cli, "segment", SAMPLE_BOOK, "--jsonl", tmp_path), "is a folder")
