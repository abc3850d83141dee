"""What the trends page shows, computed from one :class:`TrendsResponse`: the form, the first use of each
phrase, a line chart drawn as server-side SVG (coordinates computed here, so the template only loops), and
the table of every number behind it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from search import Region, TrendSeries, TrendsResponse
from web.params import param_values
from web.search_page import FACET_LABELS, value_label, with_query

NORM_LABELS: dict[str, str] = {
    "share_of_reports": "提及报告占比",
    "per_10k_chars": "每万字出现次数",
    "count": "出现次数（处）",
}
SPLIT_LABELS: dict[str, str] = {
    "": "不分组",
    "province": "按省份",
    "prefecture": "按地市",
    "county": "按区县",
    "region": "按所选地区的下一级",
    "section": "按章节",
}
FILTER_PARAMS: tuple[str, ...] = ("region", "year", "section", "doc_type")
"""The search filters a chart keeps (as hidden fields of its form, and on the links of its points)."""
MAX_DRAWN = 8
"""Series drawn on the chart (the busiest, by occurrences); the table below lists every one."""
DOWNLOAD_FORMATS: tuple[tuple[str, str], ...] = (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("jsonl", "JSONL"))

# The chart's frame, in SVG user units (the viewBox scales it to any width).
WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 80, 40, 24, 44


@dataclass
class Option:
    value: str
    label: str
    selected: bool


@dataclass
class Tick:
    position: float  # x for a year, y for a value
    label: str


@dataclass
class ChartPoint:
    x: float
    y: float
    url: str  # the search this point counts
    title: str  # the numbers, as a tooltip


@dataclass
class ChartSeries:
    label: str
    color: str  # a class of site.css: c0 … c7
    points: list[ChartPoint]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass
class Chart:
    series: list[ChartSeries]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    width: int = WIDTH
    height: int = HEIGHT


@dataclass
class TableRow:
    label: str
    year: int
    reports: int
    reports_matching: int
    occurrences: int
    chars: int
    value: str
    url: str


@dataclass
class FirstUseView:
    query: str
    year: int | None
    reports: list[tuple[str, str, str]]  # (title, region, link with ?q=)


@dataclass
class TrendsPage:
    response: TrendsResponse | None  # None: no query yet, only the form
    queries: list[str]  # the form's boxes: the queries asked, then empty ones to add more
    norms: list[Option]
    splits: list[Option]
    hidden_params: list[tuple[str, str]]  # the filters, kept by the form
    filters: list[str]  # the filters in force, as they read
    norm_label: str
    first: list[FirstUseView]
    chart: Chart | None
    drawn_note: str  # "" unless some series are left off the chart
    table: list[TableRow]
    downloads: list[tuple[str, str]]
    json_url: str
    search_url: str  # the first query as a search, with the filters


def format_value(norm: str, value: float) -> str:
    """A plotted value as it reads: a share as a percentage, a density with two decimals, a count whole.

    >>> format_value("share_of_reports", 0.25), format_value("per_10k_chars", 1.5), format_value("count", 3.0)
    ('25%', '1.50', '3')
    """
    if norm == "share_of_reports":
        return f"{round(value * 100, 1):g}%"
    if norm == "per_10k_chars":
        return f"{value:.2f}"
    return f"{value:.0f}"


def nice_scale(largest: float, ticks: int = 5) -> tuple[float, float]:
    """The top of the value axis and its step: a round step (1, 2 or 5 times a power of ten).

    >>> nice_scale(0.37), nice_scale(12), nice_scale(0)
    ((0.4, 0.1), (15.0, 5.0), (1.0, 0.2))
    """
    if largest <= 0:
        return 1.0, 0.2
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    top = step * math.ceil(round(largest / step, 9))
    return float(round(top, 10)), float(round(step, 10))


def series_label(series: TrendSeries, several_queries: bool, split: str) -> str:
    """``枫桥经验 · 山西省`` with a split and several queries; the split value alone with one query."""
    if not split:
        return series.query
    value = series.split_value or "（未标明）"
    return f"{series.query} · {value}" if several_queries else value


def point_url(args: MultiDict, query: str, year: int, split: str, split_value: str | None) -> str:
    """The search a point counts: its query, its year and its split value as a filter (over any filter on the
    same facet), with the other filters kept."""
    params: list[tuple[str, str]] = [("q", query)]
    split_param = "section" if split == "section" else "region" if split else ""
    for name in FILTER_PARAMS:
        if name == "year" or (name == split_param and split_value):
            continue
        params.extend((name, v) for v in param_values(args, name))
    if split_param and split_value:
        params.append((split_param, split_value))
    params.append(("year", str(year)))
    return "/search?" + urlencode(params)


def _chart(response: TrendsResponse, drawn: list[TrendSeries], labels: dict[int, str], args: MultiDict) -> Chart:
    norm = response.request.norm
    years = response.years
    largest = max((p.value for s in drawn for p in s.points), default=0.0)
    top, step = nice_scale(largest)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(i: int) -> float:
        return LEFT + (plot_w / 2 if len(years) == 1 else plot_w * i / (len(years) - 1))

    def y_of(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    n_ticks = round(top / step)
    y_ticks = [Tick(y_of(step * k), format_value(norm, step * k)) for k in range(n_ticks + 1)]
    x_ticks = [Tick(x_of(i), str(y)) for i, y in enumerate(years)]
    series = []
    for n, s in enumerate(drawn):
        label = labels[id(s)]
        points = [
            ChartPoint(
                x=x_of(i),
                y=y_of(p.value),
                url=point_url(args, s.query, p.year, response.split_level, s.split_value),
                title=(
                    f"{label} · {p.year}年：{format_value(norm, p.value)}"
                    f"（{p.reports_matching:,}/{p.reports:,} 份报告提及，{p.occurrences:,} 处，{p.chars:,} 字）"
                ),
            )
            for i, p in enumerate(s.points)
            if p.reports  # a year without reports in this series has no value: no point, the line joins across
        ]
        series.append(ChartSeries(label, f"c{n % MAX_DRAWN}", points))
    return Chart(series, x_ticks, y_ticks)


def _api_url(args: MultiDict, changes: dict[str, str]) -> str:
    pairs = [(k, v) for k, v in args.items(multi=True) if v.strip() and k not in changes and k != "format"]
    return "/api/trends?" + urlencode(pairs + [(k, v) for k, v in changes.items() if v])


def build_trends_page(response: TrendsResponse | None, args: MultiDict) -> TrendsPage:
    """Everything the trends template shows, with every URL and coordinate already computed."""
    queries = list(response.request.queries) if response else [q.strip() for q in args.getlist("q") if q.strip()]
    boxes = queries + [""] * max(2 - len(queries), 1)  # always one empty box: a way to add a query without JS
    norm = response.request.norm if response else args.get("norm", "share_of_reports")
    split = response.request.split if response else args.get("split", "")
    hidden = [(name, v) for name in FILTER_PARAMS for v in param_values(args, name)]
    filters = [f"{FACET_LABELS.get(name, name)}：{value_label(name, v)}" for name, v in hidden]
    page = TrendsPage(
        response=response,
        queries=boxes[:8] if len(queries) < 8 else queries,
        norms=[Option(k, label, k == norm) for k, label in NORM_LABELS.items()],
        splits=[Option(k, label, k == split) for k, label in SPLIT_LABELS.items()],
        hidden_params=hidden,
        filters=filters,
        norm_label=NORM_LABELS.get(norm, norm),
        first=[],
        chart=None,
        drawn_note="",
        table=[],
        downloads=[],
        json_url="",
        search_url="",
    )
    if response is None:
        return page
    several = len(queries) > 1
    labels = {id(s): series_label(s, several, response.split_level) for s in response.series}
    busiest = sorted(response.series, key=lambda s: -sum(p.occurrences for p in s.points))  # stable: ties keep order
    drawn_ids = {id(s) for s in busiest[:MAX_DRAWN]}
    drawn = [s for s in response.series if id(s) in drawn_ids]
    if len(response.series) > MAX_DRAWN:
        page.drawn_note = f"共 {len(response.series)} 条线，图中只画出现次数最多的 {MAX_DRAWN} 条；下表列出全部。"
    page.chart = _chart(response, drawn, labels, args) if response.years else None
    page.first = [
        FirstUseView(
            f.query,
            f.year,
            [(r["title"], Region(**r["region"]).label(), with_query(r["url"], f.query)) for r in f.reports],
        )
        for f in response.first
    ]
    page.table = [
        TableRow(
            label=labels[id(s)],
            year=p.year,
            reports=p.reports,
            reports_matching=p.reports_matching,
            occurrences=p.occurrences,
            chars=p.chars,
            value=format_value(norm, p.value) if p.reports else "—",
            url=point_url(args, s.query, p.year, response.split_level, s.split_value),
        )
        for s in response.series
        for p in s.points
    ]
    page.downloads = [(label, _api_url(args, {"format": f})) for f, label in DOWNLOAD_FORMATS]
    page.json_url = _api_url(args, {})
    search_params = [("q", queries[0])] + hidden
    page.search_url = "/search?" + urlencode(search_params)
    return page
