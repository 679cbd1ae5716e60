"""The review page in a real headless Chromium (Debian's chromium + chromedriver, driven by
selenium): keyboard review of a small file, checked in the file afterwards."""

from __future__ import annotations

import shutil
import threading

import pytest

from synth.dataset import review
from voicetune.records import Record, read_records, write_records

pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
SCRIPT = 'She wrote <script>document.title = "owned"</script> on the board.'
IMG = 'Why <img src=x onerror="document.title=\'owned\'">?'


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromedriver not installed (apt-get install chromium chromium-driver; .ci/run does)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (requirements/cpu.txt pins it)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture
def page(tmp_path):
    path = tmp_path / "interview.jsonl"
    source = {"file": "book.pdf", "pages": "1"}
    write_records(path, [
        Record("r1", "Why did you go?", "I went because the sea called.", source),
        Record("r2", "Why stay?", "I stayed.", source, context_id="r1"),
        Record("r3", "How was school?", "School was hard.", source, context_id="r2", flags=["gives_answer_away"]),
        Record("r4", IMG, SCRIPT, source, context_id="r3"),
    ])
    server = review.make_server(path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path, review.url(server)
    server.shutdown()
    server.server_close()


def text(driver, element_id: str) -> str:
    return driver.find_element("id", element_id).text


def wait_for(driver, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: condition(d), message=what)


def press(driver, keys: str):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(keys).perform()


def test_accept_reject_edit_by_keyboard_are_saved_to_the_file(browser, page):
    path, url = page
    browser.get(url)
    wait_for(browser, lambda d: text(d, "question") == "Why did you go?", "first record shown")
    assert text(browser, "context") == "(the start of the book)" and "pages 1" in text(browser, "provenance")
    assert "pending 4" in text(browser, "counts")

    press(browser, "a")  # accept r1, move on to r2
    wait_for(browser, lambda d: text(d, "question") == "Why stay?", "moved to r2 after accepting")
    assert text(browser, "context") == "I went because the sea called."
    press(browser, "r")  # reject r2
    wait_for(browser, lambda d: text(d, "question") == "How was school?", "moved to r3 after rejecting")
    assert text(browser, "flags") == "gives_answer_away"
    press(browser, "e")
    field = browser.find_element("id", "edit-question")
    wait_for(browser, lambda d: field.is_displayed(), "editor open")
    field.clear()
    field.send_keys("What was school like for you?")
    browser.find_element("id", "save").click()
    wait_for(browser, lambda d: text(d, "status") == "EDITED", "edit saved")
    assert "accepted 1 · rejected 1 · edited 1" in text(browser, "counts")

    records = {r.id: r for r in read_records(path)}
    assert [records[i].status for i in ("r1", "r2", "r3", "r4")] == ["accepted", "rejected", "edited", "pending"]
    assert records["r3"].question == "What was school like for you?"
    assert records["r3"].original == {"question": "How was school?", "answer": "School was hard."}
    assert (records["r1"].question, records["r2"].question) == ("Why did you go?", "Why stay?")


def test_record_text_renders_as_text_never_as_html(browser, page):
    path, url = page
    browser.get(url)
    wait_for(browser, lambda d: text(d, "question") == "Why did you go?", "page loaded")
    press(browser, "jjj")
    wait_for(browser, lambda d: text(d, "answer") == SCRIPT, "the script tag shows as text")
    assert text(browser, "question") == IMG
    assert browser.find_elements("css selector", "#record script, #record img") == []
    assert browser.title == "voicetune review"  # neither the script nor onerror ran


def test_a_file_changed_on_disk_is_reported_not_overwritten(browser, page):
    path, url = page
    browser.get(url)
    wait_for(browser, lambda d: text(d, "question") == "Why did you go?", "page loaded")
    path.write_text(path.read_text().replace("Why stay?", "Why did you stay?"))
    before = path.read_bytes()
    press(browser, "a")
    wait_for(browser, lambda d: review.CHANGED_ON_DISK in text(d, "message"), "conflict shown")
    assert path.read_bytes() == before
    browser.find_element("id", "reload").click()
    wait_for(browser, lambda d: text(d, "message") == "", "reloaded")
    press(browser, "a")
    wait_for(browser, lambda d: read_records(path)[0].status == "accepted", "saved after reload")
    assert read_records(path)[1].question == "Why did you stay?"


def test_filters_show_pending_only_and_flagged_only(browser, page):
    path, url = page
    browser.get(url)
    wait_for(browser, lambda d: text(d, "question") == "Why did you go?", "page loaded")
    press(browser, "a")
    wait_for(browser, lambda d: text(d, "question") == "Why stay?", "moved on")
    press(browser, "p")  # pending only: the accepted first record is no longer reachable
    press(browser, "k")
    assert text(browser, "question") == "Why stay?" and "(3 match the filters)" in text(browser, "position")
    press(browser, "f")  # and flagged only: the flagged record, and r4, whose question fails a check
    wait_for(browser, lambda d: text(d, "question") == "How was school?", "flagged record shown")
    assert "(2 match the filters)" in text(browser, "position") and "gives_answer_away" in text(browser, "flags")
    press(browser, "j")
    wait_for(browser, lambda d: "check: invents_names" in text(d, "flags"), "a failed check shown as a flag")


@pytest.fixture
def interviews(tmp_path):
    """Two conversations (the first stored out of turn order) around a single-turn record."""
    path = tmp_path / "interview.jsonl"
    source = {"file": "book.pdf", "pages": "1"}
    write_records(path, [
        Record("c1-2", "And after the war?", "After the war I went to sea.", source, conversation="c1", position=2),
        Record("c1-1", "Where did you grow up?", "I grew up in Leith.", source, conversation="c1", position=1),
        Record("s1", "What was your first ship?", "The Clan Macleod.", source),
        Record("c2-1", "Who taught you?", "My father taught me.", source, conversation="c2", position=1, flags=["gives_answer_away"]),
        Record("c2-2", "Was he strict?", "He was strict.", source, conversation="c2", position=2),
    ])
    server = review.make_server(path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path, review.url(server)
    server.shutdown()
    server.server_close()


def turn_texts(driver, css: str) -> list[str]:
    """The shown turns' texts, read in one script call (the page re-renders them after each save)."""
    return driver.execute_script(
        "const c = document.getElementById('conversation');"
        "return c.hidden ? [] : [...c.querySelectorAll(arguments[0])].map((e) => e.textContent);", css)


def test_a_conversation_is_reviewed_as_one_its_turns_in_order(browser, interviews):
    path, url = interviews
    browser.get(url)
    wait_for(browser, lambda d: turn_texts(d, ".question") == ["Where did you grow up?", "And after the war?"], "turns in position order")
    assert turn_texts(browser, ".answer") == ["I grew up in Leith.", "After the war I went to sea."]
    assert "interview 1 of 3" in text(browser, "position") and "pending 5" in text(browser, "counts")

    press(browser, "a")  # one key accepts both turns, then the single record comes
    wait_for(browser, lambda d: text(d, "question") == "What was your first ship?", "moved to the single record")
    assert not browser.find_element("id", "turns").is_displayed()
    press(browser, "r")
    wait_for(browser, lambda d: turn_texts(d, ".question") == ["Who taught you?", "Was he strict?"], "second conversation shown")
    assert text(browser, "flags") == "gives_answer_away"

    press(browser, "e")  # edit the second turn's question only
    wait_for(browser, lambda d: len(d.find_elements("css selector", "#edit-turns .edit-q")) == 2, "one editor per turn")
    field = browser.find_elements("css selector", "#edit-turns .edit-q")[1]
    field.clear()
    field.send_keys("Was your father a strict teacher?")
    from selenium.webdriver.common.keys import Keys

    field.send_keys(Keys.CONTROL + Keys.ENTER)
    wait_for(browser, lambda d: turn_texts(d, ".question") == ["Who taught you?", "Was your father a strict teacher?"], "edit shown")

    records = {r.id: r for r in read_records(path)}
    assert {i: records[i].status for i in records} == {"c1-2": "accepted", "c1-1": "accepted", "s1": "rejected", "c2-1": "accepted", "c2-2": "edited"}
    assert records["c2-2"].original == {"question": "Was he strict?", "answer": "He was strict."}

    press(browser, "k")
    press(browser, "k")  # back to the first conversation: undo its review with one key
    wait_for(browser, lambda d: turn_texts(d, ".question") == ["Where did you grow up?", "And after the war?"], "back at the first")
    press(browser, "u")
    wait_for(browser, lambda d: [r.status for r in read_records(path)][:2] == ["pending", "pending"], "both turns back to pending")


def test_blind_test_by_keyboard_saves_guesses_and_shows_the_share(browser, tmp_path):
    import json

    run = tmp_path / "run"
    run.mkdir()
    rows = [{"id": f"h{i}", "question": f"Question {i}?", "passage": f"The author's words {i}.", "base": "b", "tuned": f"The model's words {i}."} for i in range(3)]
    (run / "eval_answers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    test = review.BlindTest(run)
    server = review.make_server(run, blind=test)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get(review.url(server))
        wait_for(browser, lambda d: text(d, "blind-question") == "Question 0?", "first question")
        shown = [text(browser, "blind-left"), text(browser, "blind-right")]
        assert sorted(shown) == ["The author's words 0.", "The model's words 0."]
        assert shown == [{"author": "The author's words 0.", "tuned": "The model's words 0."}[w] for w in test.shown["h0"]]
        left_is_author = test.shown["h0"][0] == "author"
        press(browser, "1" if left_is_author else "2")  # right
        wait_for(browser, lambda d: text(d, "blind-question") == "Question 1?", "second question")
        from selenium.webdriver.common.keys import Keys

        wrong = Keys.ARROW_RIGHT if test.shown["h1"][0] == "author" else Keys.ARROW_LEFT
        press(browser, wrong)
        wait_for(browser, lambda d: text(d, "blind-question") == "Question 2?", "third question")
    finally:
        server.shutdown()
        server.server_close()
    saved = [json.loads(line) for line in (run / "blind.jsonl").read_text().splitlines()]
    assert [(g["id"], g["guess"], g["correct"]) for g in saved] == [("h0", "author", True), ("h1", "tuned", False)]

    again = review.BlindTest(run)  # resumed: only h2 is left; guessing it ends the test with the share
    server = review.make_server(run, blind=again)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get(review.url(server))
        wait_for(browser, lambda d: text(d, "blind-question") == "Question 2?", "resumed at the third question")
        assert text(browser, "blind-progress") == "question 3 of 3"
        press(browser, "1" if again.shown["h2"][0] == "author" else "2")
        wait_for(browser, lambda d: d.find_element("id", "blind-done").is_displayed(), "the share shown at the end")
        assert "picked in 2 of 3 (67%)" in text(browser, "blind-done")
    finally:
        server.shutdown()
        server.server_close()


def test_the_base_models_answer_is_shown_under_the_authors_and_rejecting_drops_it(browser, page):
    """Both sides of a preference pair (synth pairs' interview.pairs.jsonl): the author's passage and
    the base model's answer; rejecting the record says its pair is dropped."""
    from synth.generation import pairs
    from voicetune.conversations import system_message
    from voicetune.engine import Generation, answer_sampling

    path, url = page

    class Base:
        def stream(self, convs, sampling):
            for i, conv in enumerate(convs):
                yield i, Generation(f"As an AI, about {conv[-1]['content']}", 5, True)

    pairs.make(path, Base, "base", answer_sampling(), system=None)  # made without the system message training uses
    browser.get(url)
    wait_for(browser, lambda d: text(d, "question") == "Why did you go?", "first record shown")
    assert text(browser, "answer") == "I went because the sea called." and text(browser, "pair") == "As an AI, about Why did you go?"
    assert text(browser, "pair-note") == "Stale: made for another question, an earlier turn since edited, or another system message; synth pairs makes it again."
    pairs.make(path, Base, "base", answer_sampling(), system=system_message("system", "the author"))
    browser.get(url)
    wait_for(browser, lambda d: text(d, "pair") == "As an AI, about Why did you go?", "pair shown")
    assert text(browser, "pair-note") == ""  # current: preference training uses it
    press(browser, "r")  # reject r1, move on to r2
    wait_for(browser, lambda d: text(d, "question") == "Why stay?", "moved to r2")
    press(browser, "k")
    wait_for(browser, lambda d: text(d, "question") == "Why did you go?", "back to r1")
    assert text(browser, "pair-note") == "Dropped: a rejected record has no pair in preference training."


def test_a_number_takes_one_of_the_models_other_questions_in_place_of_its_question(browser, tmp_path):
    path = tmp_path / "interview.jsonl"
    source = {"file": "book.pdf", "pages": "1"}
    others = ["What did you hear first?", "How did the sea call you?"]
    write_records(path, [Record("r1", "Why did you go?", "I went because the sea called.", source, alternatives=others),
                         Record("r2", "Why stay?", "I stayed.", source, context_id="r1")])
    server = review.make_server(path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get(review.url(server))
        wait_for(browser, lambda d: text(d, "question") == "Why did you go?", "first record shown")
        assert text(browser, "alternatives").splitlines() == ["1 What did you hear first?", "2 How did the sea call you?"]
        press(browser, "2")
        wait_for(browser, lambda d: text(d, "question") == "Why stay?", "moved on after taking one")
        assert not browser.find_element("id", "alternatives-box").is_displayed()  # r2 has none
    finally:
        server.shutdown()
        server.server_close()
    taken = read_records(path)[0]
    assert (taken.status, taken.question) == ("edited", "How did the sea call you?")
    assert taken.original == {"question": "Why did you go?", "answer": "I went because the sea called."}
