"""vLLM for real, through the CLI as a user runs it: a generation killed with SIGKILL mid-run,
resumed to completion; and generation through a real OpenAI-compatible `vllm serve`."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from synth import pipeline
from synth.generation import natural, specificity
from voicetune.dataset import DatasetFile
from synth.generation.job import OPENERS
from synth.generation.judge import duplicates
from voicetune.records import conversations
from voicetune.models import compute_dtype, dtype_name
from tests.conftest import ROOT, SAMPLE_BOOK

pytestmark = pytest.mark.engine


def synth(*args):
    return [sys.executable, "-m", "synth", "run", *map(str, args)]


def complete_lines(path):
    if not path.exists():
        return []
    text = path.read_text()
    return text[: text.rfind("\n") + 1].splitlines()


def settled(path, quiet=0.5, limit=10.0):
    """The file once no write lands on it for `quiet` seconds. `wait()` returns when the command's
    own process is gone; a write its worker had begun when SIGKILL came still completes after."""
    text, deadline = path.read_text(), time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = path.read_text()
        if now == text:
            break
        text = now
    return text


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory, embedded_model):
    """Run 1 is killed with SIGKILL as soon as a few records are on disk; run 2 is the same command."""
    out = tmp_path_factory.mktemp("synth") / "interview.jsonl"
    command = synth(SAMPLE_BOOK, "--out", out)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 600
    while len(complete_lines(out)) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = process.poll() is None
    os.killpg(process.pid, signal.SIGKILL)  # the engine's worker processes too
    process.wait()
    assert alive, "generation ended before it could be killed: " + process.stderr.read()[-2000:]
    after_kill = settled(out)
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return out, after_kill, resumed


def test_a_killed_run_leaves_valid_jsonl(killed_and_resumed):
    _, after_kill, _ = killed_and_resumed
    whole = after_kill[: after_kill.rfind("\n") + 1].splitlines()
    records = [json.loads(line) for line in whole]  # every complete line parses
    passages = pipeline.passages(SAMPLE_BOOK, pipeline.SegmentOptions())
    assert 3 <= len(records) < len(passages)
    assert len({r["id"] for r in records}) == len(records)


def test_the_rerun_completes_with_no_duplicate_and_nothing_lost(killed_and_resumed):
    out, after_kill, resumed = killed_and_resumed
    before = {json.loads(line)["id"]: json.loads(line) for line in after_kill[: after_kill.rfind("\n") + 1].splitlines()}
    records = [json.loads(line) for line in out.read_text().splitlines()]
    passages = pipeline.passages(SAMPLE_BOOK, pipeline.SegmentOptions())
    assert [r["id"] for r in records] == [p.id for p in passages]  # one per passage, in book order
    assert [r["answer"] for r in records] == [p.text for p in passages]  # the book verbatim
    final = {r["id"]: r for r in records}
    assert all(final[i] == r for i, r in before.items())  # finished records reused as they were
    assert f"{len(before)} reused" in resumed.stdout


def test_questions_are_generated_by_vllm(killed_and_resumed):
    out, _, resumed = killed_and_resumed
    records = [json.loads(line) for line in out.read_text().splitlines()]
    passages = pipeline.passages(SAMPLE_BOOK, pipeline.SegmentOptions())
    assert all(list(r)[:4] == ["id", "question", "answer", "source"] for r in records)
    assert all(r["source"]["file"] == "memoir.pdf" and r["model"] == "SmolLM2-135M-Instruct" for r in records)
    asked = [r["question"] for r in records if r["question"]]
    # A 135M model misses sometimes; misses are retried, then flagged, never silently dropped.
    assert len(asked) >= len(records) // 2, records
    # No question asked twice in the book (a repeat is regenerated; one that stays is flagged).
    for k, a in enumerate(records):
        for b in records[k + 1 :]:
            if a["question"] and b["question"] and duplicates(a["question"], [b["question"]]):
                assert "repeats_a_question" in a["flags"] + b["flags"], (a["question"], b["question"])
    # The questions point to their own passages, by a measure generation does not select on (BM25
    # over words): better than a random question would (its MRR: H(n) / n, 0.14 for 28 passages).
    texts = [p.text for p in passages]
    by_words = specificity.measure(specificity.BM25Ranker(texts), [r["question"] for r in records], [texts.index(r["answer"]) for r in records])
    assert by_words.mrr > 2 * sum(1 / k for k in range(1, len(texts) + 1)) / len(texts), by_words
    assert all(r["specificity"] is not None for r in records if r["question"])
    manifest = json.loads(DatasetFile(out).manifest.read_text())
    assert manifest["records"] == len(records) and manifest["model"] == "SmolLM2-135M-Instruct"
    # Every record is counted once, by how its question came: a template (natural.template) is one way.
    counts = manifest["counts"]
    assert sum(counts[k] for k in ("generated", "reused", "from_transcript", "failed", "templates")) == len(records), counts
    rejected = [json.loads(line) for line in DatasetFile(out).rejects.read_text().splitlines()]
    assert all(r["reason"] and "reply" in r for r in rejected)
    # vLLM continued the interviewer's first words rather than answering after them.
    generated = [r["question"] for r in records if r["question_source"] == "generated" and r["question"]]
    assert generated and all(q.startswith(OPENERS) for q in generated), generated
    # Review can take another of the model's questions: each faultless and begun the same way, none the record's own.
    said = {r["id"]: r["answer"] for r in records}
    others = [(r["question"], q, r["answer"], said.get(r["context_id"], "")) for r in records for q in r["alternatives"]]
    assert others and all(q.startswith(OPENERS) and q != own and not natural.faults(q, answer, before) for own, q, answer, before in others), others


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(embedded_model, tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("serve") / "server.log", "w")
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "2", "VLLM_CPU_OMP_THREADS_BIND": "0-1", "VLLM_CPU_NUM_OF_RESERVED_CPU": "0"}
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", embedded_model, "--served-model-name", "smollm2",
               "--host", "127.0.0.1", "--port", str(port), "--enforce-eager", "--max-model-len", "4096", "--dtype", dtype_name(compute_dtype())]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2)
            break
        except OSError:
            time.sleep(1)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"vllm server did not come up: {open(log.name).read()[-2000:]}")
    yield url
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def test_generation_through_a_real_openai_compatible_server(server, tmp_path):
    out = tmp_path / "interview.jsonl"
    result = subprocess.run(synth(SAMPLE_BOOK, "--endpoint", server, "--limit", 4, "--concurrency", 4, "--out", out), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    records = DatasetFile(out).load()
    assert len(records) == 4 and all(r.model == "smollm2" for r in records)
    # The server's replies went through the same judging: at least half usable, each ranked against the 4 passages.
    assert sum(1 for r in records if r.question and r.specificity is not None) >= 2, records
    # The server continued the interviewer's first words (continue_final_message), as the local engine does.
    assert all(r.question.startswith(OPENERS) for r in records if r.question_source == "generated" and r.question), records
    assert f"endpoint {server}" in result.stdout


def test_an_unreachable_endpoint_is_one_clear_error(tmp_path):
    result = subprocess.run(synth(SAMPLE_BOOK, "--endpoint", f"http://127.0.0.1:{free_port()}/v1", "--out", tmp_path / "x.jsonl"), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Error: ") and "is the server running?" in result.stderr and "Traceback" not in result.stderr


def test_a_three_turn_interview_from_the_sample_book_resumes_whole(tmp_path, embedded_model):
    out = tmp_path / "interview.jsonl"
    command = synth(SAMPLE_BOOK, "--turns", 3, "--limit", 6, "--out", out)
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr[-3000:]
    records = DatasetFile(out).load()
    passages = pipeline.passages(SAMPLE_BOOK, pipeline.SegmentOptions(limit=6))
    assert [r.answer for r in records] == [p.text for p in passages]  # every answer the author's, in book order
    interviews = conversations(records)
    assert max(len(c) for c in interviews) == 3 and all(len(c) <= 3 for c in interviews)
    for turns in interviews:
        assert len({r.chapter for r in turns}) == 1  # a conversation stays in its chapter
        # A follow-up that asks an earlier question again was retried; one that stayed a repeat is flagged.
        for k, r in enumerate(turns):
            if r.question and r.question in [t.question for t in turns[:k]]:
                assert "repeats_a_question" in r.flags, [t.question for t in turns]
    # The same command again: every turn's key (which covers the conversation before it) matches,
    # so all is reused up to a turn without a question, which is tried again with what follows it.
    settled = sum(next((k for k, r in enumerate(turns) if not r.question), len(turns)) for turns in interviews)
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0 and f" generated; {settled} reused" in again.stdout, again.stdout + again.stderr[-2000:]
