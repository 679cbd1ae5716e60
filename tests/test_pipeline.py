import json

from synth import pipeline
from voicetune import prompts
from voicetune.dataset import DatasetFile
from synth.generation.job import Job
from synth.document import Passage
from tests.test_generate import FakeEngine


def passages(*texts):
    return [Passage(f"id-{t}", f"{t}.", "book.pdf", 1, 1) for t in texts]


def test_synthesize_appends_then_rewrites_in_book_order_keeping_orphans(tmp_path):
    out = tmp_path / "interview.jsonl"
    template = prompts.load("question")
    pipeline.synthesize(passages("a", "b"), DatasetFile(out), lambda: FakeEngine(["Why a?", "Why b?"]), Job(template, model="m"))
    # The book changed: "b" is gone, "c" is new. Only "c" is generated; "b" is kept at the end.
    engine = FakeEngine(["Why c?"])
    records, summary = pipeline.synthesize(passages("a", "c"), DatasetFile(out), lambda: engine, Job(template, model="m"))
    assert [r.id for r in DatasetFile(out).load()] == ["id-a", "id-c", "id-b"]
    assert (summary.reused, summary.generated) == (1, 1) and len(engine.seen[0][0]) == 1


def test_rejects_and_manifest_are_written_next_to_the_output(tmp_path):
    out = tmp_path / "interview.jsonl"
    template = prompts.load("question")
    records, summary = pipeline.synthesize(passages("a"), DatasetFile(out), lambda: FakeEngine(["nope"], ["Why a?"]), Job(template, model="m"))
    rejects = [json.loads(line) for line in DatasetFile(out).rejects.read_text().splitlines()]
    assert rejects == [{"id": "id-a", "attempt": 1, "reason": "not_a_question", "reply": "nope"}]
    path = pipeline.write_manifest(DatasetFile(out), Job(template, model="m"), summary=summary, records=records, backend="vLLM", prompt_path=prompts.find("question"), elapsed=3.0)
    manifest = json.loads(path.read_text())
    assert path.name == "interview.manifest.json"
    assert manifest["counts"] == {"generated": 1, "reused": 0, "from_transcript": 0, "failed": 0, "templates": 0, "replies": 2, "rejected_replies": {"not_a_question": 1}}
    assert manifest["prompt"]["file"].endswith("question.txt") and len(manifest["prompt"]["sha256"]) == 64
    assert manifest["versions"]["transformers"]
