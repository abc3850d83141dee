"""Fixtures: small hand-made indexes in tmp_path for engine, CLI and web tests; the real corpus for acceptance."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import search
from search import index_writer, open_engine, settings
from search.models import Passage, Region, Report

CORPUS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def make_report(rid: str, source: str, region: Region, year: int, paragraphs: list[tuple[str, str, str]]) -> Report:
    """A report from (text, section, heading) triples, with ids derived from ``rid``."""
    passages = tuple(
        Passage(passage_id=f"{rid}-p{n}", report_id=rid, number=n, text=t, section=s, heading=h)
        for n, (t, s, h) in enumerate(paragraphs, start=1)
    )
    title = paragraphs[0][0]
    return Report(rid, source, title, region, year, None, None, passages)


SMALL_REPORTS = [
    make_report(
        "ra",
        "a.txt",
        Region("山西省", "长治市", None),
        2024,
        [
            ("长治市2024年法治政府建设年度报告", "概述", ""),
            ("一、主要举措和成效", "举措成效", "一、主要举措和成效"),
            ("践行新时代“枫桥经验”，推进矛盾纠纷化解。枫桥经验在基层落地。", "举措成效", "一、主要举措和成效"),
            ("推行首违不罚清单，规范行政执法<script>alert(1)</script>。", "举措成效", "一、主要举措和成效"),
            ("二、存在的问题", "问题不足", "二、存在的问题"),
            ("行政复议和诉讼衔接不够顺畅。", "问题不足", "二、存在的问题"),
        ],
    ),
    make_report(
        "rb",
        "b.txt",
        Region("宁夏回族自治区", "银川市", "灵武市"),
        2023,
        [
            ("灵武市2023年法治政府建设年度报告", "概述", ""),
            ("坚持和发展楓橋經驗，化解矛盾。", "举措成效", ""),
            ("经验，推进法治政府建设。", "举措成效", ""),
            ("2024年，我市将深化行政复议体制改革。", "工作计划", ""),
        ],
    ),
    make_report(
        "rc",
        "c.txt",
        Region("天津市", None, "静海区"),
        2024,
        [
            ("静海区2024年法治政府建设年度报告", "概述", ""),
            ("法治政府建设示范创建，法治政府建设取得新成效。", "举措成效", ""),
        ],
    ),
]


def write_tantivy_index_of_another_schema(index_dir: Path) -> None:
    """A tantivy index as an earlier version might have left it: one document, another schema."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=True)
    writer = tantivy.Index(builder.build(), path=str(index_dir)).writer()
    writer.add_document(tantivy.Document(text="an index of another schema"))
    writer.commit()
    writer.wait_merging_threads()


ENGINES = search.ENGINES  # the registry: a new engine is tested by every engine-facing test


@pytest.fixture(scope="session")
def sphinx_cluster(tmp_path_factory):
    """Two ``searchd`` processes on free loopback ports, each with a distributed table over both shards (as
    ``fazhi cluster up`` starts them), named by ``FAZHI_SPHINX_HOSTS`` for the session; stopped at its end.
    Every test index lives in its own space of the same tables."""
    import os

    from search.sphinx_cluster import searchd_binary

    if searchd_binary() is None:
        pytest.skip("searchd is not installed (apt-get install sphinxsearch): the sphinx engine is not tested")
    folder = tmp_path_factory.mktemp("sphinx-cluster")
    nodes = search.start_cluster(folder, 2)
    before = os.environ.get("FAZHI_SPHINX_HOSTS")
    os.environ["FAZHI_SPHINX_HOSTS"] = search.hosts_setting(nodes)
    yield folder, nodes
    if before is None:
        os.environ.pop("FAZHI_SPHINX_HOSTS", None)
    else:
        os.environ["FAZHI_SPHINX_HOSTS"] = before
    search.stop_cluster(folder)


def _engine(request, name: str) -> str:
    if name == "sphinx":  # a real two-node cluster behind it
        request.getfixturevalue("sphinx_cluster")
    return name


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    """Every engine-facing test runs against each engine: all must give the same answers."""
    return _engine(request, request.param)


@pytest.fixture
def small_index(tmp_path: Path, engine_name: str) -> Path:
    index_dir = tmp_path / "index"
    index_writer(engine_name)(index_dir, SMALL_REPORTS)
    return index_dir


def open_as_served(index_dir: Path, engine: str):
    """The index's snapshot as the site opens it (its response cache sized by ``FAZHI_CACHE_SIZE``)."""
    return open_engine(index_dir, engine, cache_size=settings.get_int("CACHE_SIZE")).snapshot()


@pytest.fixture
def snap(small_index: Path, engine_name: str):
    return open_as_served(small_index, engine_name)


@pytest.fixture
def app(small_index: Path, engine_name: str):
    from web import create_app

    return create_app({"INDEX_DIR": str(small_index), "ENGINE": engine_name, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.fail(f"the sample corpus is missing: {CORPUS_DIR} (CI clones with ../shared beside the repo)")
    return CORPUS_DIR


@pytest.fixture(scope="session", params=ENGINES)
def corpus_engine(request) -> str:
    return _engine(request, request.param)


@pytest.fixture(scope="session")
def corpus_index(corpus_dir: Path, corpus_engine: str, tmp_path_factory) -> Path:
    from indexer.build import index_corpus

    index_dir = tmp_path_factory.mktemp(f"corpus-index-{corpus_engine}")
    index_corpus(corpus_dir, index_dir, engine=corpus_engine)
    return index_dir


@pytest.fixture(scope="session")
def corpus_snap(corpus_index: Path, corpus_engine: str):
    return open_as_served(corpus_index, corpus_engine)
