"""Text reuse in a real headless Chromium (the pattern of tests/test_browser.py): a passage's "also in" line on
the report page, and two reports side by side with the shared spans highlighted in both columns, each span a
link to its passage in the other report. Screenshots go to tests/artifacts/ for a person to look at."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from search import index_writer
from tests.test_browser import ARTIFACTS, DESKTOP, Tab, browser  # noqa: F401 - the browser fixture
from tests.test_reuse_ui import SPAN, reuse_reports

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reuse_site(tmp_path_factory) -> Iterator[str]:
    """A real HTTP server on an index of the planted collection (the default engine)."""
    from web import create_app

    index_dir: Path = tmp_path_factory.mktemp("browser-reuse-index")
    index_writer()(index_dir, reuse_reports())
    server = make_server("127.0.0.1", 0, create_app({"INDEX_DIR": str(index_dir)}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def tab(browser) -> Iterator[Tab]:  # noqa: F811 - the imported fixture
    t = Tab(browser, DESKTOP)
    yield t
    t.close()


def test_a_passage_says_where_else_it_appears(reuse_site: str, tab: Tab) -> None:
    page = tab.page
    page.goto(reuse_site + "/reports/qtx22#qtx22-p2")
    line = page.locator('[id="qtx22-p2"] .reuse-line')
    assert line.is_visible()
    assert "另见于 2 份报告" in line.inner_text() and "最早：灵武市 2021" in line.inner_text()
    assert page.locator('[id="qtx22-p4"] .reuse-line').count() == 0  # its own text: nothing said
    page.locator('[id="qtx22-p2"]').scroll_into_view_if_needed()
    tab.shot("reuse-also-in")
    line.locator("a.reuse-earliest").click()
    page.wait_for_url("**/reports/lw21#lw21-p2")
    assert "本段" in page.locator('[id="lw21-p2"] .reuse-line').inner_text()  # the first holder
    assert tab.problems == []


def test_compare_view_highlights_shared_spans_in_both_columns(reuse_site: str, tab: Tab) -> None:
    page = tab.page
    page.goto(reuse_site + "/reports/lw21")
    page.locator(".related a.compare-link").first.click()
    page.wait_for_url("**/compare?a=lw21&b=*")
    page.goto(reuse_site + "/compare?a=lw21&b=qtx22")
    assert "共有文字" in page.locator(".compare-summary").inner_text()
    left = page.locator(".compare-col-a mark.shared")
    right = page.locator(".compare-col-b mark.shared")
    assert left.count() >= 2 and right.count() >= 2
    assert any(SPAN in t for t in left.all_inner_texts()) and any(SPAN in t for t in right.all_inner_texts())
    colour = left.first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    # Both columns sit side by side, section by section.
    a_box = page.locator(".compare-col-a").first.bounding_box()
    b_box = page.locator(".compare-col-b").first.bounding_box()
    assert a_box and b_box and b_box["x"] > a_box["x"] + a_box["width"] - 1 and abs(a_box["y"] - b_box["y"]) < 2
    tab.shot("reuse-compare")
    # A span in the left column links to its passage in the other report.
    left.first.locator("a").click()
    page.wait_for_url("**/reports/qtx22#qtx22-p*")
    assert page.evaluate("document.querySelector(':target').id").startswith("qtx22-p")
    assert tab.problems == []
    assert (ARTIFACTS / "reuse-compare.png").exists()


def test_the_reuse_facet_narrows_the_results(reuse_site: str, tab: Tab) -> None:
    page = tab.page
    page.goto(reuse_site + "/search?q=%E6%89%A7%E6%B3%95")  # 执法
    facet = page.locator('li[data-facet="reuse"][data-value="shared"]')
    shared = int(facet.get_attribute("data-count"))
    facet.locator("a").click()
    page.wait_for_url("**reuse=shared*")
    assert page.locator("li.hit").count() == shared
    assert page.locator("li.hit .reuse-line").count() == shared  # every hit left says where else it appears
    assert page.locator('li[data-facet="reuse"][data-value="shared"].selected').count() == 1
    tab.shot("reuse-search-shared")
    assert tab.problems == []


# The five real samples: their shared boilerplate (tests/test_reuse_samples.py lists all of it).
@pytest.fixture(scope="module")
def samples_site(tmp_path_factory, corpus_dir: Path) -> Iterator[tuple[str, dict]]:
    """A real HTTP server on an index of the five samples; with (place, passage number) → (report, passage) id."""
    from indexer.build import index_corpus
    from search import open_engine
    from web import create_app

    index_dir: Path = tmp_path_factory.mktemp("browser-samples-index")
    index_corpus(corpus_dir, index_dir)
    snap = open_engine(index_dir).snapshot()
    ids = {
        (r.region.county or r.region.prefecture, p.number): (r.report_id, p.passage_id)
        for r in snap.report_list
        for p in r.passages
    }
    server = make_server("127.0.0.1", 0, create_app({"INDEX_DIR": str(index_dir)}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", ids
    server.shutdown()
    thread.join(timeout=5)


def test_a_sample_passage_says_where_else_its_boilerplate_appears(samples_site, tab: Tab) -> None:
    site, ids = samples_site
    page = tab.page
    report_id, heading = ids[("曲沃县", 6)]  # 党政主要负责人履行推进法治建设第一责任人职责情况: the mandated heading
    _, opening = ids[("曲沃县", 2)]  # 2024年，曲沃县坚持以习近平新时代中国特色社会主义思想为指导，…
    page.goto(f"{site}/reports/{report_id}#{opening}")
    line = page.locator(f'[id="{opening}"] .reuse-line')
    assert line.is_visible()
    assert "另见于 4 份报告" in line.inner_text() and "最早：忻州市 2023" in line.inner_text()
    heading_line = page.locator(f'[id="{heading}"] .reuse-line')
    assert "另见于 3 份报告（4 段）" in heading_line.inner_text() and "最早：忻州市 2023" in heading_line.inner_text()
    page.locator(f'[id="{opening}"]').scroll_into_view_if_needed()
    tab.shot("reuse-samples-also-in")
    # The earliest holder: 忻州市's 2023 opening, the same formula with its own place and year.
    line.locator("a.reuse-earliest").click()
    xinzhou_report, xinzhou_opening = ids[("忻州市", 1)]
    page.wait_for_url(f"**/reports/{xinzhou_report}#{xinzhou_opening}")
    assert "本段" in page.locator(f'[id="{xinzhou_opening}"] .reuse-line').inner_text()
    assert tab.problems == []


def test_two_samples_side_by_side_mark_their_shared_formula(samples_site, tab: Tab) -> None:
    site, ids = samples_site
    page = tab.page
    quwo, _ = ids[("曲沃县", 2)]
    xinzhou, _ = ids[("忻州市", 1)]
    page.goto(f"{site}/compare?a={quwo}&b={xinzhou}")
    left = page.locator(".compare-col-a mark.shared").all_inner_texts()
    right = page.locator(".compare-col-b mark.shared").all_inner_texts()
    assert "2024年，曲沃县坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻党的二十大" in left
    assert "2023年,忻州市坚持以习近平新时代中国特色社会主义思想为指导,深入学习贯彻党的二十大" in right
    assert "党政主要负责人履行推进法治建设第一责任人职责" in left
    page.locator(".compare-col-a mark.shared").first.scroll_into_view_if_needed()
    tab.shot("reuse-samples-compare")
    assert tab.problems == []
