"""The site in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright) on the real corpus.

A researcher's path: type 枫桥经验, narrow to 山西省, open a hit, land on the passage with the matches marked,
step through the matches, copy a citation. Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(corpus_dir: Path, tmp_path_factory) -> Iterator[str]:
    """A real HTTP server (werkzeug, threaded) on an index of the real corpus, on a free local port."""
    from indexer.build import index_corpus
    from web import create_app

    index_dir = tmp_path_factory.mktemp("browser-index")
    index_corpus(corpus_dir, index_dir)
    server = make_server("127.0.0.1", 0, create_app({"INDEX_DIR": str(index_dir)}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium fonts-noto-cjk`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tab:
    """A page in its own context, recording console errors, CSP violations and uncaught exceptions."""

    def __init__(self, browser: Browser, viewport: dict, **context_options) -> None:
        self.context = browser.new_context(viewport=viewport, locale="zh-CN", **context_options)
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning") or "Content Security Policy" in msg.text:
            self.problems.append(f"{msg.type}: {msg.text}")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Tab]:
    tab = Tab(browser, DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    yield tab
    tab.close()


def search_and_narrow(tab: Tab, site: str) -> None:
    """Type 枫桥经验 in the home page's box, submit, then tick 山西省 in the region facet."""
    page = tab.page
    page.goto(site + "/")
    page.fill("#q", "枫桥经验")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=*")
    assert "枫桥经验" in page.locator("h1.results-summary").inner_text()
    page.locator('li[data-facet="region"][data-value="山西省"] a').first.click()
    page.wait_for_url("**region=*")
    assert page.locator('li[data-facet="region"][data-value="山西省"].selected').count() == 1
    assert page.locator("li.hit").count() > 0
    assert page.locator("li.hit mark").first.inner_text() == "枫桥经验"


def test_search_narrow_read_and_cite(site: str, desktop: Tab) -> None:
    page = desktop.page
    search_and_narrow(desktop, site)
    for region in page.locator("li.hit .hit-meta").all_inner_texts():
        assert region.startswith("山西省")
    desktop.shot("search-desktop")

    first_hit = page.locator("li.hit").first
    passage_id = first_hit.get_attribute("data-passage-id")
    first_hit.locator("h2 a").click()
    page.wait_for_url(f"**/reports/*?q=*#{passage_id}")
    target = page.locator(f'[id="{passage_id}"]')
    assert page.evaluate("document.querySelector(':target').id") == passage_id
    assert "is-target" in target.get_attribute("class")
    assert target.locator("mark").count() >= 1
    assert target.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    desktop.shot("report-desktop")

    # Previous / next match: the buttons appear with JavaScript and walk through every <mark>.
    marks = page.locator(".report-body mark").count()
    nav = page.locator(".match-nav")
    assert nav.is_visible()
    page.click('[data-match="next"]')
    first = page.locator(".match-position").inner_text()
    assert first.endswith(f"/ {marks}")
    assert page.locator(".report-body mark.current").count() == 1
    page.click('[data-match="next"]')
    page.click('[data-match="prev"]')
    assert page.locator(".match-position").inner_text() == first
    current_passage = page.evaluate("document.querySelector('mark.current').closest('.passage').id")
    assert page.evaluate("location.hash") == "#" + current_passage

    # Copy the citation of the target passage.
    target.locator("details.cite summary").click()
    target.locator("button.copy").click()
    target.locator("button.copy.done").wait_for()  # (wait_for_function would need eval, which the CSP forbids)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("《") and "/reports/" in copied and copied.endswith(f"#{passage_id}")
    assert desktop.problems == []


def test_phone_width(site: str, browser: Browser) -> None:
    tab = Tab(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        page = tab.page
        page.goto(site + "/search?q=枫桥经验&region=山西省")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # Facets fold above the results so the first hit shows on the first screen.
        assert page.locator(".facets-panel").evaluate("el => el.open") is False
        assert page.locator("li.hit").first.bounding_box()["y"] < PHONE["height"]
        tab.shot("search-phone")
        page.locator("li.hit h2 a").first.click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        tab.shot("report-phone")
        assert tab.problems == []
    finally:
        tab.close()


def test_everything_works_without_javascript(site: str, browser: Browser) -> None:
    tab = Tab(browser, DESKTOP, java_script_enabled=False)
    try:
        page = tab.page
        search_and_narrow(tab, site)
        page.locator("nav.sorts a", has_text="年度").click()
        page.wait_for_url("**sort=year*")
        page.locator("li.hit h2 a").first.click()
        page.wait_for_load_state()
        assert page.locator(".match-nav").is_hidden() and page.locator("button.copy").first.is_hidden()
        assert page.locator(".match-list a").count() >= 1
        assert page.locator(".passage.has-match .match-badge").first.is_visible()
        page.locator(".passage details.cite summary").first.click()
        assert "第1段" in page.locator(".cite-text").first.inner_text()
        assert tab.problems == []
    finally:
        tab.close()


def test_keyboard_skip_link_and_visible_focus(site: str, desktop: Tab) -> None:
    page = desktop.page
    page.goto(site + "/search?q=法治")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_error_pages_render(site: str, desktop: Tab) -> None:
    page = desktop.page
    assert page.goto(site + "/reports/nope").status == 404
    assert "找不到报告" in page.locator("h1").inner_text()
    assert page.goto(site + "/search?page=0").status == 400
    assert "参数有误" in page.locator("h1").inner_text()
    desktop.problems = [p for p in desktop.problems if "status of 40" not in p]  # the pages' own statuses
    assert desktop.problems == []
