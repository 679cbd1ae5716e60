"""Several sources per persona: files and folders in one dataset, provenance that names each
file unambiguously, and a dataset folder that refuses another book's records."""

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from synth import cli, pipeline
from voicetune.dataset import DatasetFile
from voicetune.errors import BadInput
from voicetune.records import Record, write_records

PARAGRAPH = "The harbour was quiet that winter, and nobody expected the boats to go out before March. " * 4
INTERVIEW = "Ada: Why boats?\n\nBen: " + PARAGRAPH + "\n\nAda: And then?\n\nBen: " + PARAGRAPH.replace("winter", "summer")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def shelf(tmp_path):
    """memoir.txt, interviews/ep1.md, and a second memoir.txt in old/: same name, other book."""
    write(tmp_path / "memoir.txt", PARAGRAPH)
    write(tmp_path / "interviews" / "ep1.md", INTERVIEW)
    write(tmp_path / "interviews" / ".hidden.md", INTERVIEW)
    write(tmp_path / "old" / "memoir.txt", PARAGRAPH.replace("harbour", "quay"))
    return tmp_path


def test_files_and_folders_make_one_list_of_passages_named_from_their_common_folder(shelf):
    options = pipeline.SegmentOptions(persona="Ben")
    sources = pipeline.gather([shelf / "memoir.txt", shelf / "interviews", shelf / "old" / "memoir.txt"], options)
    assert [s.name for s in sources] == ["memoir.txt", "interviews/ep1.md", "old/memoir.txt"]
    passages = [p for s in sources for p in s.passages]
    assert [p.source for p in passages] == ["memoir.txt", "interviews/ep1.md", "interviews/ep1.md", "old/memoir.txt"]
    assert len({p.id for p in passages}) == len(passages)
    assert passages[1].question == "Why boats?"  # the transcript is read as one, the books as books


def test_a_single_file_keeps_its_bare_name_and_its_ids(shelf):
    (source,) = pipeline.gather(shelf / "old" / "memoir.txt", pipeline.SegmentOptions())
    assert source.name == "memoir.txt"
    # An id hashes the name with the text, sha256("memoir.txt\n" + text)[:16]: the bare name keeps
    # the ids a run on this one file gave before several sources were read (its records match).
    assert [p.id for p in source.passages] == ["f184c8383e62e024"]
    together = pipeline.gather([shelf / "memoir.txt", shelf / "old" / "memoir.txt"], pipeline.SegmentOptions())
    assert together[1].name == "old/memoir.txt" and together[1].passages[0].id != "f184c8383e62e024"


def test_limit_counts_passages_across_sources(shelf):
    passages = pipeline.passages([shelf / "memoir.txt", shelf / "interviews"], pipeline.SegmentOptions(persona="Ben", limit=2))
    assert [p.source for p in passages] == ["memoir.txt", "interviews/ep1.md"]


def test_an_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="empty: no books or transcripts in this folder"):
        pipeline.gather([tmp_path / "empty"], pipeline.SegmentOptions())


@pytest.mark.parametrize("name, persona, expected", [("kc", "Ben", "kc"), (None, "Jen Psaki", "Jen-Psaki"), (None, None, "memoir")])
def test_dataset_name(name, persona, expected):
    assert pipeline.dataset_name(name, persona, [Path("a/memoir.pdf"), Path("b")]) == expected


def record(file: str) -> Record:
    return Record("r1", "Why?", "Because.", {"file": file, "pages": "1", "chars": [0, 8]}, status="accepted")


def test_another_book_of_the_same_name_is_refused(shelf):
    out = shelf / "data" / "memoir" / "interview.jsonl"
    first = pipeline.gather(shelf / "old" / "memoir.txt", pipeline.SegmentOptions())
    pipeline.write_sources(DatasetFile(out), first)
    write_records(out, [record("memoir.txt")])
    other = pipeline.gather(shelf / "memoir.txt", pipeline.SegmentOptions())
    with pytest.raises(BadInput, match=r"interview.jsonl was made from other sources: memoir.txt \(.*old/memoir.txt\); give --name"):
        pipeline.check_sources(out, other)
    pipeline.check_sources(out, first)  # the same book again is fine


def test_the_same_file_edited_and_a_source_added_are_the_same_dataset(shelf):
    out = shelf / "data" / "ben" / "interview.jsonl"
    pipeline.write_sources(DatasetFile(out), pipeline.gather(shelf / "memoir.txt", pipeline.SegmentOptions()))
    write(shelf / "memoir.txt", PARAGRAPH + " And then the spring came.")
    edited_and_more = pipeline.gather([shelf / "memoir.txt", shelf / "interviews"], pipeline.SegmentOptions(persona="Ben"))
    assert pipeline.check_sources(out, edited_and_more) is None  # no BadInput: the run may continue this dataset
    other_file = write(shelf / "elsewhere" / "memoir.txt", PARAGRAPH + " And then the summer came.")
    with pytest.raises(BadInput, match=r"made from other sources: memoir.txt"):  # same name, other file and text
        pipeline.check_sources(out, pipeline.gather(other_file, pipeline.SegmentOptions()))


def test_a_dataset_from_before_sources_were_recorded_is_judged_by_its_records(shelf):
    out = shelf / "data" / "x" / "interview.jsonl"
    write_records(out, [record("diary.pdf")])
    with pytest.raises(BadInput, match=r"made from other sources: diary.pdf"):
        pipeline.check_sources(out, pipeline.gather(shelf / "memoir.txt", pipeline.SegmentOptions()))
    write_records(out, [record("memoir.txt")])
    pipeline.check_sources(out, pipeline.gather(shelf / "memoir.txt", pipeline.SegmentOptions()))


def test_cli_run_refuses_before_loading_a_model(shelf, monkeypatch):
    monkeypatch.chdir(shelf)
    out = Path("data") / "memoir" / "interview.jsonl"
    pipeline.write_sources(DatasetFile(out), pipeline.gather(shelf / "old" / "memoir.txt", pipeline.SegmentOptions()))
    monkeypatch.setattr("synth.synthesis.choose", lambda *a, **k: pytest.fail("started an engine"))
    result = CliRunner().invoke(cli.cli, ["run", "memoir.txt"])
    assert result.exit_code == 1 and result.output.startswith("Error: data/memoir/interview.jsonl was made from other sources")


def test_cli_segment_takes_several_paths(shelf):
    result = CliRunner().invoke(cli.cli, ["segment", str(shelf / "memoir.txt"), str(shelf / "interviews"), "--persona", "Ben", "--stats"])
    assert result.exit_code == 0, result.output
    assert "interviews/ep1.md: speakers" in result.stdout and "2 sources (memoir.txt, interviews/ep1.md): 3 passages" in result.stdout


def test_make_passes_several_books_and_paths_with_spaces(shelf):
    """The recipe make would run, run by the shell with an interpreter that prints its arguments."""
    root = Path(__file__).resolve().parents[1]
    books = f'"{shelf / "my memoir.txt"}" {shelf / "interviews"}'
    printer = "python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))'"
    dry = subprocess.run(["make", "-n", "--no-print-directory", "-C", str(root), "synth", f"BOOK={books}", f"PY={printer}"], capture_output=True, text=True)
    recipe = next(line for line in dry.stdout.splitlines() if "synth run" in line)
    argv = json.loads(subprocess.run(["bash", "-c", recipe], capture_output=True, text=True, check=True).stdout)
    assert argv == ["-m", "synth", "run", str(shelf / "my memoir.txt"), str(shelf / "interviews")]


def test_a_dataset_named_after_the_book_by_an_earlier_version_is_continued(shelf):
    sources = pipeline.gather(shelf / "memoir.txt", pipeline.SegmentOptions())
    root, books = shelf / "data", [shelf / "memoir.txt"]
    assert pipeline.dataset_output(None, None, "Ben", books, sources, root) == (root / "Ben" / "interview.jsonl", None)
    legacy = root / "memoir" / "interview.jsonl"
    write_records(legacy, [record("memoir.txt")])
    out, note = pipeline.dataset_output(None, None, "Ben", books, sources, root)
    assert out == legacy and note.startswith(f"continuing {legacy} (made from these sources")
    assert pipeline.dataset_output(None, "ben2", "Ben", books, sources, root) == (root / "ben2" / "interview.jsonl", None)
    write_records(legacy, [record("diary.pdf")])  # another book's dataset is not continued
    assert pipeline.dataset_output(None, None, "Ben", books, sources, root) == (root / "Ben" / "interview.jsonl", None)


def test_segment_reports_the_boilerplate_it_removed(tmp_path):
    notice = "This eBook was designed and published by Harbour Books. For more free eBooks visit our Web site at http://www.harbourbooks.example/"
    book = write(tmp_path / "novel.txt", notice + "\n\n" + "\n\n".join([PARAGRAPH] * 12))
    result = CliRunner().invoke(cli.cli, ["segment", str(book), "--stats"])
    assert result.exit_code == 0, result.output
    assert f"novel.txt: removed 1 paragraph of publisher boilerplate ({len(notice)} characters), e.g. 'This eBook was designed and published by Harbour Books. For more free eBooks vis...'" in result.stdout
    assert "eBook" not in " ".join(p.text for p in pipeline.passages(book, pipeline.SegmentOptions()))


def test_each_record_names_its_source_file(shelf):
    from string import Template

    from voicetune.engine import Generation
    from synth.generation.generate import generate
    from synth.generation.job import Job

    class Engine:
        model = "fake"

        def stream(self, conversations, sampling):
            return ((i, Generation("What was the harbour like?", 6, True)) for i in range(len(conversations)))

    passages = pipeline.passages([shelf / "memoir.txt", shelf / "interviews", shelf / "old" / "memoir.txt"], pipeline.SegmentOptions(persona="Ben"))
    records, _ = generate(passages, Engine, Job(Template("$context $passage"), model="m"))
    assert [r.source["file"] for r in records] == ["memoir.txt", "interviews/ep1.md", "interviews/ep1.md", "old/memoir.txt"]
    assert len({r.id for r in records}) == 4
