"""scripts/random_model.py: a model of the asked shape that the train stage loads as a base."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_writes_a_llama_of_the_asked_shape_with_the_embedded_tokenizer(tmp_path, embedded_model):
    from transformers import AutoConfig, AutoTokenizer

    out = tmp_path / "tiny"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "random_model.py"), str(out), "--shape", "tiny", "--layers", "3"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    config = AutoConfig.from_pretrained(out)
    assert (config.model_type, config.hidden_size, config.num_hidden_layers, config.intermediate_size) == ("llama", 64, 3, 128)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert config.vocab_size == len(tokenizer) == len(AutoTokenizer.from_pretrained(embedded_model))
    assert "<|im_start|>" in tokenizer.chat_template
    assert "parameters" in done.stdout

