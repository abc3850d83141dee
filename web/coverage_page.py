"""What the coverage page shows, computed from one :class:`CoverageResponse`: the form, the legend, the matrix
rows grouped under their parents (each cell with a text label, a colour class and links to its reports), the
rates of every row and year, and the reports of departments and townships listed apart. The template only
loops."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from search import COVERAGE_LEVELS, CoverageResponse, Snapshot, deadline

STATUS_LABELS: dict[str, str] = {
    "on_time": "按时公开",
    "late": "逾期公开",
    "undated": "已公开·日期不明",
    "missing": "未见报告",
    "no_division": "当年未设",
}
STATUS_SHORT: dict[str, str] = {
    "on_time": "按时",
    "late": "逾期",
    "undated": "日期不明",
    "missing": "未见",
    "no_division": "未设",
}
LEVEL_LABELS: dict[str, str] = {"": "所选地区的下一级", "province": "省级", "prefecture": "地市级", "county": "县级"}
ISSUER_LEVEL_LABELS: dict[str, str] = {"department": "部门", "township": "乡镇街道", "government": "政府"}
DOWNLOAD_FORMATS: tuple[tuple[str, str], ...] = (("csv", "CSV"), ("xlsx", "Excel (XLSX)"))


@dataclass
class CellView:
    status: str
    label: str  # the short text shown in the cell: never colour alone
    title: str  # the long form, as a tooltip
    links: list[tuple[str, str]]  # (text, url) of each report
    date: str  # MM-DD of the earliest publish date, or ""


@dataclass
class RowView:
    name: str
    code: str
    former: str  # 原长治县
    cells: list[CellView]
    rate: str  # 2/3 · 67%


@dataclass
class GroupView:
    parent: str | None
    rows: list[RowView]


@dataclass
class ColumnView:
    year: int
    deadline: str
    found: int
    expected: int
    rate: str
    counts: str  # 按时 3 · 逾期 1 · 日期不明 0


@dataclass
class CoveragePage:
    response: CoverageResponse | None
    year_value: str
    region_value: str
    level: str
    levels: list[tuple[str, str, bool]]
    legend: list[tuple[str, str, str]]  # (status, long label, short label)
    columns: list[ColumnView] = field(default_factory=list)
    groups: list[GroupView] = field(default_factory=list)
    others: list[dict] = field(default_factory=list)
    unplaced: list[dict] = field(default_factory=list)
    json_url: str = ""
    downloads: list[tuple[str, str]] = field(default_factory=list)
    heading: str = ""


def _rate(found: int, expected: int) -> str:
    """``2/3 · 67%``; ``—`` when nothing was expected."""
    return f"{found}/{expected} · {round(100 * found / expected)}%" if expected else "—"


def _query(args: MultiDict, **extra: str) -> str:
    pairs = [(k, v) for k in ("year", "region", "level") for v in args.getlist(k) if v.strip()]
    pairs += list(extra.items())
    return urlencode(pairs)


def _cell(status: str, year: int, name: str | None, report_ids: list[str], date: str | None, snap: Snapshot):
    # The first report is linked by the cell's label; more reports for one cell follow as 另1, 另2 …
    links = [(STATUS_SHORT[status] if n == 0 else f"另{n}", f"/reports/{rid}") for n, rid in enumerate(report_ids)]
    titles = [report.title for rid in report_ids if (report := snap.report(rid)) is not None]
    title = f"{name or ''} {year}年：{STATUS_LABELS[status]}"
    if date:
        title += f"（{date}公开，期限 {deadline(year)}）"
    elif status == "undated":
        title += "（找不到公开日期）"
    if titles:
        title += "：" + "；".join(titles)
    return CellView(status, STATUS_SHORT[status], title.strip(), links, date[5:10] if date else "")


def build_coverage_page(response: CoverageResponse | None, args: MultiDict, snap: Snapshot) -> CoveragePage:
    """The page for ``response`` (None before a request: the form alone)."""
    level = (args.get("level") or "").strip()
    page = CoveragePage(
        response=response,
        year_value=", ".join(v for v in args.getlist("year") if v.strip()),
        region_value=(args.get("region") or "").strip(),
        level=level,
        levels=[(v, LEVEL_LABELS[v], v == level) for v in ("", *COVERAGE_LEVELS)],
        legend=[(s, STATUS_LABELS[s], STATUS_SHORT[s]) for s in STATUS_LABELS],
    )
    if response is None:
        return page
    page.json_url = "/api/coverage?" + _query(args)
    page.downloads = [(label, "/api/coverage?" + _query(args, format=fmt)) for fmt, label in DOWNLOAD_FORMATS]
    where = response.region.name if response.region else "全国"
    span = f"{response.years[0]}–{response.years[-1]}" if len(response.years) > 1 else f"{response.years[0]}"
    page.heading = f"{where}{LEVEL_LABELS[response.level]}政府 {span}年度报告公开情况"
    for year in response.years:
        s = response.summary[year]
        counts = " · ".join(f"{STATUS_SHORT[k]} {s[k]}" for k in ("on_time", "late", "undated", "missing"))
        page.columns.append(ColumnView(year, deadline(year), s["found"], s["expected"],
                                       _rate(s["found"], s["expected"]), counts))  # fmt: skip
    for row in response.rows:
        cells = [_cell(c.status, y, c.name, c.report_ids, c.publish_date, snap) for y, c in sorted(row.cells.items())]
        view = RowView(row.name, row.code, "原" + "、".join(row.former_names) if row.former_names else "", cells,
                       _rate(row.found, row.expected))  # fmt: skip
        if not page.groups or page.groups[-1].parent != row.parent:
            page.groups.append(GroupView(row.parent, []))
        page.groups[-1].rows.append(view)
    page.others = [
        {**r, "issuer_level_label": ISSUER_LEVEL_LABELS.get(r["issuer_level"], r["issuer_level"]),
         "status_label": STATUS_LABELS[r["status"]], "url": f"/reports/{r['report_id']}"}
        for r in response.other_issuers
    ]  # fmt: skip
    page.unplaced = [{**r, "url": f"/reports/{r['report_id']}"} for r in response.unplaced]
    return page
