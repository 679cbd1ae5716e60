"""`train inspect` shows a whole conversation as training sees it: every answer trained, every question masked."""

from voicetune.records import Record, record_line
from train import inspect
from train.config import TrainConfig


def test_inspect_shows_a_conversations_mask_found_by_any_turn_id(tmp_path, embedded_model):
    turns = [
        Record(id="c.1", question="Why did you go to sea?", answer="The engine room felt like home.", source={}, conversation="c", position=1),
        Record(id="c.2", question="And your mother?", answer="She wept at the quay.", source={}, conversation="c", position=2),
        Record(id="s", question="What came next?", answer="A storm.", source={}),
    ]
    path = tmp_path / "interview.jsonl"
    path.write_text("".join(record_line(r) for r in turns))
    report = inspect.run(TrainConfig(), path, record_id="c.2")
    assert report.startswith("conversation of 2 turns (c.1, c.2): record c:")
    marked = report.split("[masked] trained:\n", 1)[1].split("\n\ntoken by token", 1)[0]
    # Both answers are bare (trained); both questions sit inside [brackets] (masked).
    for answer in ("The engine room felt like home.", "She wept at the quay."):
        assert answer in marked and f"[{answer}" not in marked
    masked = "".join(part.split("]", 1)[0] for part in marked.split("[")[1:])
    assert "Why did you go to sea?" in masked and "And your mother?" in masked
    assert "2 conversations:" in report
