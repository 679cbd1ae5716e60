"""Tiny real-training inputs shared by the train tests: short conversations, few steps."""

import json
from pathlib import Path

PAIRS = [
    ("Why engines?", "The engine room was where I understood the world."),
    ("Your mother?", "She was afraid for me."),
    ("Your uncle?", "Rab taught me the name of every part."),
    ("Turned away?", "It made me stubborn."),
    ("The storm?", "The shaft ran hot, but my hands stayed steady."),
    ("Why ashore?", "My mother needed me."),
    ("Teaching?", "It made me say what I had learned."),
    ("Advice?", "Listen to the machine."),
    ("Kellhaven?", "It holds you up and holds you down."),
    ("The sea?", "I still wake at four for the engines."),
]


def write_data(folder: Path) -> Path:
    path = folder / "interview.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", "question": q, "answer": a, "source": {}}) + "\n" for i, (q, a) in enumerate(PAIRS)))
    return path
