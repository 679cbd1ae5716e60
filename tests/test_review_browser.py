"""The review page in a real headless Chromium (Debian's chromium + chromedriver, driven by
selenium): keyboard review of a small file, checked in the file afterwards."""

from __future__ import annotations

import shutil
import threading

import pytest

from synth import review
from synth.records import Record, read_records, write_records

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
    press(browser, "f")  # and flagged only: the one flagged record
    wait_for(browser, lambda d: text(d, "question") == "How was school?", "flagged record shown")
    assert "(1 match the filters)" in text(browser, "position")
