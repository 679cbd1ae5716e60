"""No file is written through a symbolic link the tool did not make (issue 25): each place that
writes refuses a link at its path with one line naming it, and the file the link points to (a
stand-in for ~/.bashrc) is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from synth import pipeline
from synth.cli import cli as synth_cli
from synth.dataset import export, review
from synth.generation.job import Job
from synth.sources import cache
from tests.test_cli import assert_user_error
from tests.test_generate import FakeEngine
from train import pipeline as train_pipeline
from train.config import TrainConfig
from train.eval import report
from voicetune import prompts
from voicetune.dataset import DatasetFile
from voicetune.files import LinkRefused
from voicetune.records import JsonlAppender, Record, write_records

BASHRC = "export PATH=$HOME/bin:$PATH\n"


@pytest.fixture
def outside(tmp_path) -> Path:
    """A file outside the project that a link points to."""
    target = tmp_path / "home" / ".bashrc"
    target.parent.mkdir()
    target.write_text(BASHRC)
    return target


def link(path: Path, target: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def passages():
    return [pipeline.Passage(f"id-{t}", f"{t}.", "book.pdf", 1, 1) for t in "ab"]


def synthesize(out: Path):
    return pipeline.synthesize(passages(), DatasetFile(out), lambda: FakeEngine(["Why a?", "Why b?"]), Job(prompts.load("question"), model="m"))


@pytest.mark.parametrize("name", ["interview.manifest.json", "interview.rejects.jsonl", "interview.sources.json", "interview.jsonl.lock", "interview.log", "interview.jsonl"])
def test_synth_run_refuses_a_link_beside_its_output_before_writing_anything(tmp_path, outside, name):
    book = tmp_path / "book.txt"
    book.write_text("\n\n".join(f"Paragraph {i}. " + "The harbour was quiet that morning and nobody spoke. " * 6 for i in range(3)))
    out = tmp_path / "data" / "interview.jsonl"
    link(out.with_name(name), outside)
    result = CliRunner().invoke(synth_cli, ["run", str(book), "--out", str(out)])
    assert_user_error(result, f"{name} is a symbolic link", "remove it")
    assert outside.read_text() == BASHRC


@pytest.mark.parametrize("name", ["interview.rejects.jsonl", "interview.jsonl.lock", "interview.jsonl"])
def test_synthesize_refuses_a_link_at_a_file_it_appends_to(tmp_path, outside, name):
    out = tmp_path / "interview.jsonl"
    link(out.with_name(name), outside)
    with pytest.raises(LinkRefused, match=name):
        synthesize(out)
    assert outside.read_text() == BASHRC


def test_a_dangling_link_at_the_output_creates_nothing_outside(tmp_path):
    out = link(tmp_path / "interview.jsonl", tmp_path / "elsewhere" / "made.jsonl")
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(LinkRefused, match="interview.jsonl is a symbolic link"):
        synthesize(out)
    assert not (tmp_path / "elsewhere" / "made.jsonl").exists()


def test_the_manifest_and_sources_listing_are_not_written_through_links(tmp_path, outside):
    dataset = DatasetFile(tmp_path / "interview.jsonl")
    link(dataset.manifest, outside)
    with pytest.raises(LinkRefused, match="manifest.json"):
        dataset.write_manifest({"records": 1})
    listing = outside.with_name("listing.json")
    listing.write_text('{"sources": []}\n')
    link(dataset.sources, listing)
    source = pipeline.Source(tmp_path / "book.pdf", "book.pdf", "0" * 64, ())
    with pytest.raises(LinkRefused, match="sources.json"):
        pipeline.write_sources(dataset, [source])
    assert outside.read_text() == BASHRC and listing.read_text() == '{"sources": []}\n'


def test_a_rewrite_and_a_review_save_refuse_a_link_at_the_file(tmp_path, outside):
    real = tmp_path / "real.jsonl"
    write_records(real, [Record("id-a", "Why a?", "a.", {"file": "book.pdf"})])
    before = real.read_bytes()
    path = link(tmp_path / "interview.jsonl", real)
    file = review.ReviewFile(path)
    with pytest.raises(LinkRefused):
        file.update("id-a", file.read()[1], "accepted")
    with pytest.raises(LinkRefused):
        write_records(link(tmp_path / "other.jsonl", outside), [])
    assert path.is_symlink() and real.read_bytes() == before and outside.read_text() == BASHRC


def test_a_blind_guess_is_not_appended_through_a_link(tmp_path, outside):
    with pytest.raises(LinkRefused, match="blind.jsonl"):
        JsonlAppender(link(tmp_path / "blind.jsonl", outside))
    assert outside.read_text() == BASHRC


@pytest.mark.parametrize("format, name", [("messages", "x.jsonl"), ("sharegpt", "x.json")])
def test_export_refuses_a_link_at_its_output(tmp_path, outside, format, name):
    data = tmp_path / "interview.jsonl"
    write_records(data, [Record("id-a", "Why a?", "a.", {"file": "book.pdf"})])
    out = link(tmp_path / name, outside)
    assert_user_error(CliRunner().invoke(synth_cli, ["export", str(data), "--format", format, "--out", str(out)]), "is a symbolic link")
    assert outside.read_text() == BASHRC


def test_export_hf_refuses_a_link_inside_its_folder(tmp_path, outside):
    data = tmp_path / "interview.jsonl"
    write_records(data, [Record(f"id-{t}", f"Why {t}?", f"{t}.", {"file": "book.pdf"}) for t in "ab"])
    out = tmp_path / "interview.hf"
    link(out / "dataset_dict.json", outside)
    with pytest.raises(LinkRefused, match="dataset_dict.json"):
        export.export(data, "hf", out, system=None)
    assert outside.read_text() == BASHRC


def test_train_run_refuses_a_run_folder_holding_a_link(tmp_path, outside):
    run = tmp_path / "runs" / "kc"
    link(run / "adapter" / "adapter_config.json", outside)
    with pytest.raises(LinkRefused, match="adapter_config.json"):
        train_pipeline.run(TrainConfig(), tmp_path / "interview.jsonl", run)
    assert outside.read_text() == BASHRC


def test_train_eval_refuses_a_report_that_is_a_link_before_writing_any_figure(tmp_path, outside):
    run = tmp_path / "runs" / "kc"
    link(run / "report.md", outside)
    with pytest.raises(LinkRefused, match="report.md"):
        report.write(None, run)
    assert outside.read_text() == BASHRC and not (run / "loss.png").exists()


def test_the_extraction_cache_does_not_write_through_a_link(tmp_path, outside, monkeypatch):
    monkeypatch.setattr(cache, "root", lambda: tmp_path / "cache")
    link(tmp_path / "cache" / "abc.json", outside)
    cache.save("abc", "1", {"text": "pages"})  # not cached, and no error: a cache is only a shortcut
    assert outside.read_text() == BASHRC
