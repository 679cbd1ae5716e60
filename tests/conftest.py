"""Shared fixtures. Extraction caches go to a temporary folder for the whole session: tests
never read or write the user's cache, and each real book is extracted once per session."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from synth.sources import cache

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tests send Ctrl-C (SIGINT) to the runs they start. A shell that starts the suite in the background
# (`cmd &`, as a CI runner or nohup may) ignores SIGINT, and every child inherits that, so those runs
# would never see it: restore the default, which the processes the tests start then inherit.
signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_BOOK = ROOT / "data" / "sample" / "memoir.pdf"
CORPORA = Path(__file__).parents[1].parent / "shared" / "corpora"  # ../shared/corpora from the repo root


def pytest_configure(config):
    config.addinivalue_line("markers", "corpora: runs on the real files in ../shared/corpora (skipped without them); slower")


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("extract-cache")


@pytest.fixture(autouse=True)
def _isolated_extract_cache(session_cache, monkeypatch):
    monkeypatch.setattr(cache, "root", lambda: session_cache)


@pytest.fixture
def fresh_cache(_isolated_extract_cache, tmp_path, monkeypatch) -> Path:
    """An empty extraction cache of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setattr(cache, "root", lambda: folder)
    return folder


@pytest.fixture(scope="session")
def embedded_model() -> str:
    """The embedded SmolLM2 folder (converted from its GGUF on first use)."""
    from voicetune.models import resolve

    return resolve(None)


@pytest.fixture(scope="session")
def tokenizer(embedded_model):
    from train.model.qlora import load_tokenizer

    return load_tokenizer(embedded_model)[0]


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
