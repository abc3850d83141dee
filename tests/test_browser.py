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
    # GB/T 7714-2025 by default; no original address for the samples, so the permalink, then the closing stop.
    assert "[EB/OL]" in copied and "段. http" in copied and copied.endswith(f"#{passage_id}.")
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
        assert "第1段" in page.locator(".passage .cite-text").first.inner_text()
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


def test_trends_chart_two_phrases_by_province(site: str, desktop: Tab, browser: Browser) -> None:
    page = desktop.page
    page.goto(site + "/search?q=枫桥经验")
    page.locator("a.trends-link").click()
    page.wait_for_url("**/trends?q=*")
    # the trends form's second box (the header's search box comes first, then the box holding 枫桥经验)
    page.fill('.trends-form input[name="q"] >> nth=1', "首违不罚")
    page.select_option('select[name="split"]', "province")
    page.locator(".trends-form button[type=submit]").click()
    page.wait_for_url("**split=province*")
    chart = page.locator("svg.chart")
    assert chart.is_visible()
    assert "“枫桥经验”、“首违不罚”" in page.locator("h1").inner_text()
    lines = page.locator("svg.chart polyline").count()
    assert 2 <= lines <= 8 and page.locator(".legend li").count() == lines
    assert page.locator("svg.chart polyline").first.evaluate("el => getComputedStyle(el).fill") == "none"
    assert page.locator("svg.chart text.tick").count() >= 3
    assert "首次出现于" in page.locator(".first-use").inner_text()
    desktop.shot("trends-desktop")
    point = page.locator("svg.chart a").last  # drawn last: on top where points overlap
    href = point.get_attribute("href")
    assert "region=" in href and "year=" in href
    point.click()
    page.wait_for_url("**/search?*year=*")
    assert page.locator("li.hit").count() > 0 or "0</strong> 段" in page.locator("h1").inner_html()
    assert desktop.problems == []

    tab = Tab(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        tab.page.goto(site + "/trends?q=枫桥经验&q=首违不罚&split=province")
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert tab.page.locator("svg.chart").bounding_box()["width"] <= PHONE["width"]
        tab.shot("trends-phone")
        tab.page.locator("svg.chart").screenshot(path=str(ARTIFACTS / "trends-chart-phone.png"))
        assert tab.problems == []
    finally:
        tab.close()


def test_report_table_sorted_by_density(site: str, desktop: Tab) -> None:
    page = desktop.page
    page.goto(site + "/search?q=法治")
    page.locator("nav.view-tabs a", has_text="报告").click()
    page.wait_for_url("**view=reports*")
    page.locator('th a[data-sort="per_10k_chars"]').click()
    page.wait_for_url("**sort=per_10k_chars*")
    header = page.locator('th:has(a[data-sort="per_10k_chars"])')
    assert header.get_attribute("aria-sort") == "descending"
    values = [float(t) for t in page.locator("table.report-table tbody tr td:nth-child(7)").all_inner_texts()]
    assert values and values == sorted(values, reverse=True)
    desktop.shot("report-table-desktop")
    page.locator('th a[data-sort="per_10k_chars"]').click()
    page.wait_for_url("**order=asc*")
    assert header.get_attribute("aria-sort") == "ascending"
    values = [float(t) for t in page.locator("table.report-table tbody tr td:nth-child(7)").all_inner_texts()]
    assert values == sorted(values)
    assert desktop.problems == []


def test_concordance_sorted_by_left_context(site: str, desktop: Tab, browser: Browser) -> None:
    page = desktop.page
    page.goto(site + "/search?q=枫桥经验&view=kwic")
    page.locator("nav.kwic-sorts a", has_text="左语境").click()
    page.wait_for_url("**sort=left*")
    matches = page.locator(".kwic-match")
    assert matches.count() > 1
    boxes = [matches.nth(i).bounding_box() for i in range(min(matches.count(), 10))]
    assert len({round(b["x"]) for b in boxes}) == 1  # the keyword column lines up
    lefts = page.locator(".kwic-left").all_inner_texts()
    keys = [t[::-1] for t in lefts]  # left context sorts on the nearest character first
    assert keys == sorted(keys) or len(set(keys)) < len(keys)
    line = page.locator("li.kwic-line").first
    line.locator("button.copy").click()
    line.locator("button.copy.done").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "[EB/OL]" in copied and "/reports/" in copied
    desktop.shot("kwic-desktop")
    assert desktop.problems == []

    tab = Tab(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        tab.page.goto(site + "/search?q=枫桥经验&view=kwic&sort=left")
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        tab.shot("kwic-phone")
        assert tab.problems == []
    finally:
        tab.close()


def test_download_csv(site: str, desktop: Tab) -> None:
    import csv
    import io

    page = desktop.page
    page.goto(site + "/search?q=枫桥经验&view=reports")
    with page.expect_download() as info:
        page.locator("nav.downloads a", has_text="CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    shown = int(page.locator("h1.results-summary strong").nth(2).inner_text())
    assert len(rows) == shown and rows[0]["title"]


def test_next_match_from_a_linked_passage_moves_past_the_match_shown(site: str, desktop: Tab) -> None:
    """Opened at a passage with a match, that match is the current one: 下一处 goes to the one after it."""
    page = desktop.page
    page.goto(site + "/search?q=法治&per_page=1&sort=year&order=asc")
    href = page.locator("li.hit h2 a").first.get_attribute("href")
    passage_id = href.rsplit("#", 1)[1]
    page.goto(site + href)
    marks = page.locator(".report-body mark")
    total = marks.count()
    shown = page.evaluate(
        "id => Array.from(document.querySelectorAll('.report-body mark'))"
        ".findIndex(m => m.closest('.passage').id === id)",
        passage_id,
    )
    assert total > 1 and shown >= 0
    assert page.locator(".match-position").inner_text() == f"{shown + 1} / {total}"
    assert page.locator(f'[id="{passage_id}"] mark.current').count() == 1
    page.click('[data-match="next"]')
    assert page.locator(".match-position").inner_text() == f"{shown + 2} / {total}"


def test_copy_citations_from_the_results_page(site: str, desktop: Tab) -> None:
    """One hit's citation in the default style, then in the style chosen (remembered on the report page), then
    every citation of the whole result (fetched from the API, not only this page)."""
    page = desktop.page
    page.goto(site + "/search?q=行政复议&per_page=5")
    total = int(page.locator("h1.results-summary strong").nth(1).inner_text())
    assert total > 5  # more than one page: "copy all" must fetch the rest
    hit = page.locator("li.hit").first
    passage_id = hit.get_attribute("data-passage-id")
    number = hit.locator(".hit-links a").first.inner_text().split("段")[0].removeprefix("第")
    hit.locator("button.copy").click()
    hit.locator("button.copy.done").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "[EB/OL]" in copied and f"第{number}段. http" in copied and copied.endswith(f"#{passage_id}.")
    assert "›" not in copied

    page.select_option("select.cite-style-select", "fxyz")
    hit.locator("button.copy").click()
    hit.locator("button.copy.done").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "：" in copied and f"，第{number}段，http" in copied and copied.endswith("。")
    hit.locator("details.hit-cite summary").click()
    desktop.shot("search-citations-desktop")

    page.locator("button.copy-all").click()
    page.locator(".copy-all-status", has_text="已复制").wait_for()
    lines = page.evaluate("navigator.clipboard.readText()").split("\n")
    assert len(lines) == total and all(line.endswith("。") and "段，http" in line for line in lines)
    assert f"{total} 条" in page.locator(".copy-all-status").inner_text()

    # The chosen style is remembered: the report page's buttons copy it too.
    hit.locator("h2 a").click()
    page.wait_for_url(f"**#{passage_id}")
    assert page.locator("select.cite-style-select").input_value() == "fxyz"
    target = page.locator(f'[id="{passage_id}"]')
    target.locator("details.cite summary").click()
    target.locator("button.copy").click()
    target.locator("button.copy.done").wait_for()
    assert page.evaluate("navigator.clipboard.readText()").endswith(f"#{passage_id}。")
    desktop.shot("report-citations-desktop")
    links = page.locator(".ref-downloads a")
    assert links.count() == 0  # the report page has no result to export
    assert desktop.problems == []


def test_reference_downloads_and_print_keeps_paragraph_numbers(site: str, desktop: Tab) -> None:
    page = desktop.page
    page.goto(site + "/search?q=枫桥经验")
    labels = page.locator(".ref-downloads a").all_inner_texts()
    assert labels == ["RIS", "BibTeX", "CSL-JSON"]
    with page.expect_download() as info:
        page.locator(".ref-downloads a", has_text="RIS").click()
    assert info.value.suggested_filename == "fazhi-hits.ris"
    page.locator("li.hit h2 a").first.click()
    page.wait_for_load_state()
    page.emulate_media(media="print")
    numbers = page.locator(".passage .pnum")
    assert numbers.first.is_visible() and numbers.first.inner_text() == "1"
    assert page.locator(".passage details.cite").first.is_hidden()
    desktop.shot("report-print")
    page.emulate_media(media="screen")
    assert desktop.problems == []


def test_coverage_matrix_of_one_province_over_three_years(site: str, desktop: Tab, browser: Browser) -> None:
    """山西's prefectures × 2022–2024: found cells link to their reports, every cell says its status in words;
    on a phone the table scrolls sideways inside its box with the first column kept in view."""
    url = site + "/coverage?year=2022-2024&region=山西"
    page = desktop.page
    page.goto(site + "/")
    page.locator("a", has_text="谁公开了报告").click()
    page.wait_for_url("**/coverage")
    page.goto(url)
    assert "山西省地市级政府 2022–2024年度报告公开情况" in page.locator("h1").inner_text()
    rows = page.locator(".coverage-table tbody tr:not(.cov-group)")
    assert rows.count() == 11  # 山西's eleven prefectures
    changzhi = page.locator(".coverage-table tbody tr", has_text="长治市")
    cells = changzhi.locator("td.cov-cell")
    assert cells.count() == 3
    assert cells.nth(0).inner_text().strip() == "未见" and "cov-missing" in cells.nth(0).get_attribute("class")
    found = cells.nth(2)
    assert found.locator("a").count() == 1 and found.inner_text().split()[0] in ("按时", "逾期", "日期不明")
    xinzhou = page.locator(".coverage-table tbody tr", has_text="忻州市").locator("td.cov-cell").nth(1)
    assert xinzhou.locator("a").count() == 1
    desktop.shot("coverage-desktop")
    found.locator("a").click()
    page.wait_for_url("**/reports/*")
    assert "长治" in page.locator("h1").inner_text()
    assert desktop.problems == []

    tab = Tab(browser, PHONE, is_mobile=True, has_touch=True)
    try:
        phone = tab.page
        phone.goto(site + "/coverage?year=2022-2024&region=山西&level=county")
        # The page itself does not scroll sideways: the table does, inside its box.
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        box = phone.locator(".coverage-scroll")
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")
        first = phone.locator(".coverage-table tbody th.cov-name").nth(3)
        x_before = first.bounding_box()["x"]
        box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        phone.wait_for_timeout(100)
        assert box.evaluate("el => el.scrollLeft") > 0
        assert abs(first.bounding_box()["x"] - x_before) < 1  # the sticky first column stays put
        assert "曲沃县" in phone.locator(".coverage-table").inner_text()
        tab.shot("coverage-phone")
        assert tab.problems == []
    finally:
        tab.close()
