"""Whole results as CSV, XLSX and JSON Lines through the API: the row count is announced, every row arrives,
and the rows agree with the JSON totals."""

import csv
import io

import orjson
import pytest
from openpyxl import load_workbook

from search import MEDIA_TYPES


def csv_rows(data: bytes) -> list[dict]:
    assert data.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8").removeprefix("\ufeff"))))


def xlsx_rows(data: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def jsonl_rows(data: bytes) -> list[dict]:
    *rows, last = [orjson.loads(line) for line in data.decode("utf-8").splitlines()]
    assert last == {"_complete": True, "rows": len(rows)}
    return rows


READERS = {"csv": csv_rows, "xlsx": xlsx_rows, "jsonl": jsonl_rows}


def download(client, url: str, fmt: str) -> list[dict]:
    resp = client.get(f"{url}&format={fmt}")
    assert resp.status_code == 200, resp.data[:300]
    assert resp.headers["Content-Type"] == MEDIA_TYPES[fmt]
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=fazhi-")
    assert resp.headers["Content-Disposition"].endswith(f".{fmt}")
    rows = READERS[fmt](resp.data)
    assert len(rows) == int(resp.headers["X-Row-Count"])
    return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_hits_export_is_the_whole_result_not_a_page(client, fmt):
    total = client.get("/api/search?q=法治").get_json()["total"]
    rows = download(client, "/api/search?q=法治&per_page=1", fmt)
    assert len(rows) == total == 5
    hits = client.get("/api/search?q=法治&per_page=100").get_json()["hits"]
    assert {r["passage_id"] for r in rows} == {h["passage_id"] for h in hits}
    first = rows[0]
    assert first["permalink"] == f"http://localhost/reports/{first['report_id']}#{first['passage_id']}"
    assert first["permalink"] in first["citation"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_report_table_export_has_one_row_per_report(client, fmt):
    body = client.get("/api/search?q=枫桥经验&view=reports").get_json()
    rows = download(client, "/api/search?q=枫桥经验&view=reports", fmt)
    assert len(rows) == body["reports_total"] == 2
    assert sum(int(r["occurrences"]) for r in rows) == body["occurrences"] == 3
    assert [r["report_id"] for r in rows] == [r["report_id"] for r in body["reports"]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_kwic_export_has_one_row_per_occurrence(client, fmt):
    body = client.get("/api/kwic?q=枫桥经验&per_page=1").get_json()
    rows = download(client, "/api/kwic?q=枫桥经验&per_page=1", fmt)
    assert len(rows) == body["total"] == 3
    assert client.get("/api/search?q=枫桥经验").get_json()["occurrences"] == body["total"]
    assert {r["match"] for r in rows} == {"枫桥经验", "楓橋經驗"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_trends_export_has_one_row_per_point(client, fmt):
    body = client.get("/api/trends?q=枫桥经验&q=行政复议").get_json()
    rows = download(client, "/api/trends?q=枫桥经验&q=行政复议", fmt)
    assert len(rows) == sum(len(s["points"]) for s in body["series"]) == 4
    assert [(r["query"], int(r["year"])) for r in rows] == [
        (s["query"], p["year"]) for s in body["series"] for p in s["points"]
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_report_list_export_is_filtered(client, fmt):
    rows = download(client, "/api/reports?year=2024", fmt)
    assert [r["report_id"] for r in rows] == ["ra", "rc"]


def test_an_empty_result_is_a_header_and_nothing_else(client):
    assert download(client, "/api/search?q=无此短语", "csv") == []
    assert download(client, "/api/kwic?q=无此短语", "jsonl") == []


def test_base_url_setting_makes_the_permalinks(small_index, engine_name):
    from web import create_app

    app = create_app({"INDEX_DIR": str(small_index), "ENGINE": engine_name, "BASE_URL": "https://fazhi.example.org/"})
    rows = download(app.test_client(), "/api/kwic?q=首违不罚", "jsonl")
    assert rows[0]["permalink"] == "https://fazhi.example.org/reports/ra#ra-p4"


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/search?q=法治&format=pdf", "format"),
        ("/api/search?q=法治&format=csv&year=20x4", "year"),
        ("/api/search?q=法治&format=csv&view=table", "view"),
        ("/api/search?q=法治&format=csv&sort=random", "sort"),
        ("/api/kwic?q=法治&format=csv&width=0", "width"),
        ("/api/kwic?q=法治&format=xlsx&sort=middle", "sort"),
        ("/api/trends?format=csv", "q"),
        ("/api/trends?q=法治&format=csv&norm=weird", "norm"),
        ("/api/reports?format=csv&doc_type=小说", "doc_type"),
    ],
)
def test_a_bad_parameter_is_a_json_400_before_any_download(client, url, param):
    resp = client.get(url)
    assert resp.status_code == 400 and "Content-Disposition" not in resp.headers
    body = resp.get_json()
    assert body["param"] == param and param in body["error"]


# Reference-manager exports: RIS, BibTeX and CSL-JSON (one record per hit, per report row, per listed report)


def test_ris_export_imports_with_the_same_fields(client):
    import rispy

    resp = client.get("/api/search?q=枫桥经验&format=ris")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == MEDIA_TYPES["ris"]
    assert resp.headers["Content-Disposition"].endswith("fazhi-hits.ris")
    records = rispy.loads(resp.data.decode("utf-8-sig"))
    hits = client.get("/api/search?q=枫桥经验&sort=year&per_page=100").get_json()["hits"]
    assert len(records) == int(resp.headers["X-Row-Count"]) == len(hits) == 2
    by_id = {r["id"]: r for r in records}
    for hit in hits:
        record = by_id[hit["passage_id"]]
        assert record["type_of_reference"] == "ELEC"
        assert record["title"] == hit["title"]
        assert record["urls"] == [f"http://localhost{hit['url']}"]  # no original address: the permalink
        assert record["notes"][0] == f"第{hit['number']}段"
        assert record["abstract"] == hit["text"]
        assert record["keywords"] == [n for n in hit["region"].values() if n]
    assert by_id["ra-p3"]["authors"] == ["长治市人民政府"] and by_id["rb-p2"]["authors"] == ["灵武市人民政府"]
    assert by_id["ra-p3"]["year"] == "2024"


def test_bibtex_export_parses_one_online_entry_per_hit(client):
    import bibtexparser

    resp = client.get("/api/search?q=枫桥经验&format=bibtex")
    assert resp.headers["Content-Type"] == MEDIA_TYPES["bibtex"]
    assert resp.headers["Content-Disposition"].endswith("fazhi-hits.bib")
    library = bibtexparser.parse_string(resp.data.decode("utf-8"))
    assert library.failed_blocks == []
    entries = {e.key: e for e in library.entries}
    assert set(entries) == {"ra-p3", "rb-p2"}
    entry = entries["ra-p3"]
    assert entry.entry_type == "online"
    fields = {f.key: f.value for f in entry.fields}
    assert fields["title"] == "长治市2024年法治政府建设年度报告"
    assert fields["author"] == "{长治市人民政府}"  # a body, not a person: double braces keep it whole
    assert fields["url"] == "http://localhost/reports/ra#ra-p3" and fields["note"] == "第3段"
    # TeX specials are escaped (a percentage sign is common in reports), so the entry still parses.
    from search.citation import Reference
    from search.exports import bibtex_record

    ref = Reference("x", "A & B 100%", False, None, None, None, "http://h/x_y", "http://h/x_y", None, (), 1, "t", "")
    parsed = bibtexparser.parse_string(bibtex_record(ref)).entries[0]
    assert parsed.fields_dict["title"].value == r"A \& B 100\%" and parsed.fields_dict["url"].value == "http://h/x_y"


def test_csljson_export_items_have_the_required_fields(client):
    resp = client.get("/api/search?q=枫桥经验&view=reports&format=csljson")
    assert resp.headers["Content-Type"] == MEDIA_TYPES["csljson"]
    assert resp.headers["Content-Disposition"].endswith("fazhi-reports.json")
    items = orjson.loads(resp.data)
    assert isinstance(items, list) and len(items) == int(resp.headers["X-Row-Count"]) == 2
    csl_types = {"webpage", "report", "article", "document"}
    for item in items:
        # CSL-JSON schema: id and type are required; type one of CSL's; names as objects; dates as date-parts.
        assert {"id", "type", "title", "URL"} <= item.keys() and item["type"] in csl_types
        assert all(isinstance(name, dict) and name.get("literal") for name in item["author"])
        assert all(isinstance(part, int) for part in item["issued"]["date-parts"][0])
    assert {i["id"] for i in items} == {"ra", "rb"}
    assert [i["URL"] for i in items if i["id"] == "ra"] == ["http://localhost/reports/ra"]


def test_an_empty_reference_export_is_still_valid(client):
    assert orjson.loads(client.get("/api/search?q=无此短语&format=csljson").data) == []
    assert client.get("/api/search?q=无此短语&format=ris").data == "\ufeff".encode()


@pytest.mark.parametrize("url", ["/api/kwic?q=法治&format=ris", "/api/trends?q=法治&format=bibtex"])
def test_reference_formats_of_lines_or_trends_are_a_json_400(client, url):
    resp = client.get(url)
    assert resp.status_code == 400 and "Content-Disposition" not in resp.headers
    assert resp.get_json()["param"] == "format"


def test_report_list_exports_references_and_the_new_columns(client):
    import rispy

    records = rispy.loads(client.get("/api/reports?format=ris").data.decode("utf-8-sig"))
    assert [r["id"] for r in records] == ["ra", "rb", "rc"]
    assert [r["authors"] for r in records] == [["长治市人民政府"], ["灵武市人民政府"], ["天津市静海区人民政府"]]
    rows = download(client, "/api/reports?", "csv")
    assert {"title_inferred", "source_url", "accessed", "citation_gb7714_2015", "citation_fxyz"} <= rows[0].keys()
    assert rows[0]["citation_fxyz"].startswith(
        "长治市人民政府：《长治市2024年法治政府建设年度报告》，载法治政府建设年度报告检索"
    )


def test_an_export_reads_each_report_s_metadata_not_all_its_passages(small_index, engine_name, monkeypatch):
    """A hit, a line or a report table row names its report: its metadata is read, never the report with every
    passage (at 100,000 reports an export of 24,000 hits read 500,000 passages that way: 4× its time)."""
    from search import ConcordanceRequest, SearchRequest, open_engine
    from search.exports import hits_export, kwic_export, reports_export

    snap = open_engine(small_index, engine_name).snapshot()
    monkeypatch.setattr(snap.store, "report", lambda index: pytest.fail("a report built with all its passages"))
    for export in (
        hits_export(snap, SearchRequest("法治")),
        kwic_export(snap, ConcordanceRequest(SearchRequest("法治"))),
        reports_export(snap, SearchRequest("法治")),
    ):
        records = list(export.records)
        assert len(records) == export.rows > 0 and all(r["title"] for r in records)
