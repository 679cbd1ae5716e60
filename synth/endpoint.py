"""Generation through any OpenAI-compatible server (`vllm serve`, several servers behind a proxy, ...).

Requests run in a bounded thread pool; each has a timeout and is retried with backoff on
connection errors, timeouts and 5xx/429 answers. Results are yielded as they complete.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Iterator, Sequence

from synth.engine import Generation, Message, Sampling


class EndpointError(RuntimeError):
    pass


class Endpoint:
    def __init__(self, url: str, model: str | None = None, *, concurrency: int = 16, timeout: float = 120, retries: int = 3):
        self.url = url.rstrip("/")
        if not self.url.endswith("/v1"):
            self.url += "/v1"
        self.concurrency, self.timeout, self.retries = concurrency, timeout, retries
        self.model = model or self.served_model()

    def _request(self, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers={"Content-Type": "application/json"})
        for attempt in range(self.retries + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as e:
                if e.code < 500 and e.code != 429 or attempt == self.retries:
                    raise EndpointError(f"{self.url}{path}: HTTP {e.code}: {e.read()[:300].decode(errors='replace')}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                if attempt == self.retries:
                    raise EndpointError(f"{self.url}{path}: {getattr(e, 'reason', e)} (after {self.retries + 1} tries): is the server running?") from None
            time.sleep(min(2**attempt, 30))
        raise AssertionError("unreachable")

    def served_model(self) -> str:
        models = self._request("/models").get("data", [])
        if not models:
            raise EndpointError(f"{self.url}/models lists no model")
        return models[0]["id"]

    def complete(self, messages: list[Message], sampling: Sampling) -> Generation:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "seed": sampling.seed,
            **({"n": sampling.n} if sampling.n > 1 else {}),
            # vLLM's server keeps the stop string when asked; others drop it (a question then lacks its "?").
            **({"stop": list(sampling.stop), "include_stop_str_in_output": True} if sampling.stop else {}),
        }
        response = self._request("/chat/completions", body)
        choice, *rest = response["choices"]
        text = choice["message"].get("content") or ""
        more = tuple(c["message"].get("content") or "" for c in rest)
        tokens = (response.get("usage") or {}).get("completion_tokens") or max(1, sum(len(t) for t in (text, *more)) // 4)
        return Generation(text, tokens, choice.get("finish_reason") == "stop", more)

    def stream(self, conversations: Sequence[list[Message]], sampling: Sampling) -> Iterator[tuple[int, Generation]]:
        with ThreadPoolExecutor(self.concurrency) as pool:
            futures = {pool.submit(self.complete, c, replace(sampling, seed=sampling.seed + i)): i for i, c in enumerate(conversations)}
            try:
                for future in as_completed(futures):
                    yield futures[future], future.result()
            finally:
                for future in futures:
                    future.cancel()

