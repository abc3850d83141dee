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
