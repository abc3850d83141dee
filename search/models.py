"""The domain objects every layer shares: reports, passages, search requests and responses."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

import orjson

SECTIONS: tuple[str, ...] = ("概述", "举措成效", "履职情况", "问题不足", "工作计划", "其他")
"""Canonical section labels, in the order the mandated outline puts them."""

REGION_LEVELS: tuple[str, ...] = ("province", "prefecture", "county")

REUSE_STATUSES: tuple[str, ...] = ("original", "shared")
"""A passage's reuse status, the ``reuse`` filter and facet: ``shared`` when another report (another
government's, or the same government's earlier one) holds a substantial part of its text, else ``original``.
It is a property of the generation (adding a report can make an old passage shared), never an engine field."""

INFERABLE: tuple[str, ...] = ("title", "region", "year")
"""Metadata the indexer may infer when the report does not state it: a composed title, a region or year read
from the body rather than the title or signature."""

REPORT_DOC_TYPE = "法治政府建设年度报告"
DOC_TYPES: tuple[str, ...] = (
    REPORT_DOC_TYPE,
    "政府信息公开年度报告",
    "政府工作报告",
    "新闻报道",
    "工作要点",
    "其他",
    "解读图解",
    "模板范文",
    "实施方案",
    "示范名单",
    "白皮书",
    "研究文章",
    "阶段报告",
)
"""What a document is: a rule-of-law government report, or one of the look-alikes that get saved by mistake:
the 政府信息公开工作年度报告, the 政府工作报告, news about a report (新闻报道: a meeting that reviewed it, its
publication), 工作要点 (work points and work arrangements), 解读图解 (解读 and 图解 of a report), 模板范文
(templates and model essays: XX县, 某县, ×××), 实施方案 (implementation plans and the 通知/意见 that issue
them), 示范名单 (lists of demonstration areas and their 公示), 白皮书, 研究文章 (papers about the reports), 阶段报告
(five-year, mid-term and half-year reports) and 其他. Values are only ever added, at the end."""


@dataclass(frozen=True)
class Region:
    """Where a report comes from, with official full names; a level the report does not reach is None.

    ``code`` is the division code of the deepest level in the report's year (140421 for 长治县 in 2017) and
    ``division_id`` the division's persistent id across renames (140404 for 长治县 and 上党区): None when the
    region is not one division (the levels the text could not tell apart) or the index predates them. Regions
    compare and hash by their names alone, as facets group them.
    """

    province: str | None = None
    prefecture: str | None = None
    county: str | None = None
    code: str | None = field(default=None, compare=False)
    division_id: str | None = field(default=None, compare=False)

    @property
    def level(self) -> str | None:
        """The deepest level the region reaches: province, prefecture or county (None for no region)."""
        if self.county:
            return "county"
        return "prefecture" if self.prefecture else "province" if self.province else None

    def names(self) -> list[str]:
        """The names at every level the region reaches, top down."""
        return [n for n in (self.province, self.prefecture, self.county) if n]

    def label(self) -> str:
        """A display form such as ``宁夏回族自治区 / 银川市 / 灵武市``."""
        return " / ".join(self.names())

    def to_dict(self) -> dict[str, str | None]:
        # Spelled out: every hit of every answer has one, and asdict() deep-copies its way there.
        return {
            "province": self.province,
            "prefecture": self.prefecture,
            "county": self.county,
            "code": self.code,
            "division_id": self.division_id,
        }


def region_keys(region: Region) -> tuple[tuple[str, str, str | None], ...]:
    """(level, name, parent) for each level a region reaches; a municipality's district has the city as parent."""
    keys = []
    parent = None
    for level, name in zip(REGION_LEVELS, (region.province, region.prefecture, region.county), strict=True):
        if name:
            keys.append((level, name, parent))
            parent = name
    return tuple(keys)


HEADING_SEPARATOR = " › "
"""Between the headings above a passage, outermost first (``一、主要成效 › （一）执法``)."""


@dataclass(frozen=True)
class Passage:
    """One paragraph of a report: the unit that is matched, ranked, shown and cited."""

    passage_id: str
    report_id: str
    number: int  # 1-based paragraph number within the report, for citations
    text: str  # the original text as published, not the folded form used for matching
    section: str
    heading: str  # the headings above the passage, joined with HEADING_SEPARATOR

    def url(self) -> str:
        """The passage's permalink."""
        return f"/reports/{self.report_id}#{self.passage_id}"

    def own_heading(self) -> str:
        """The passage's own heading when the passage is, or opens with, one ("" otherwise): ranking weighs
        its words more, in every engine."""
        tail = self.heading.rsplit(HEADING_SEPARATOR, 1)[-1]
        return tail if tail and tail in self.text else ""


@dataclass(frozen=True)
class SourceFile:
    """A file a report was read from, as it was when read: how the indexer tells that it has changed since."""

    path: str  # relative to the corpus folder
    size: int
    mtime_ns: int
    sha256: str  # of the file's bytes
    parser: str = ""  # fingerprint of the indexer code that read it: new code re-reads every file
    manifest: str = ""  # fingerprint of the manifest row applied to it: a changed row re-reads the file

    def to_dict(self) -> dict:
        return asdict(self)


ISSUER_LEVELS: tuple[str, ...] = ("government", "department", "township")
"""Whose report it is: a government at county level or above (人民政府, or its Party committee and government
together), one of its departments (司法局, 市场监督管理局 …), or a township (镇, 乡, 街道) below the county."""

PUBLISH_DATE_SOURCES: tuple[str, ...] = ("manifest", "page", "signature", "text")
"""Where a publish date was read: the manifest beside the corpus, the web page's own information line
(发布时间：…), the date under the report's signature, or elsewhere in the text."""


@dataclass(frozen=True)
class Report:
    """One annual report with its metadata and its passages in order."""

    report_id: str
    source: str  # path relative to the corpus folder (the first of ``sources``)
    title: str
    region: Region
    year: int | None
    publish_date: str | None  # ISO date, when the text gives one
    issuer: str | None
    passages: tuple[Passage, ...] = ()
    doc_type: str = REPORT_DOC_TYPE  # one of DOC_TYPES
    encoding: str | None = None  # character encoding of the source text file or web page; None for docx/pdf
    sources: tuple[str, ...] = ()  # every file holding this report (copies are indexed once); () means (source,)
    files: tuple[SourceFile, ...] = ()  # the state of ``sources`` when read, for incremental re-indexing
    text_hash: str | None = None  # hash of the report's folded text: copies share it
    source_url: str | None = None  # the original address (a manifest beside the corpus, else the saved page)
    accessed: str | None = None  # ISO date the original was consulted (manifest, or when the page was saved)
    inferred: tuple[str, ...] = ()  # which of INFERABLE the indexer inferred rather than read from the report
    publish_date_source: str | None = None  # where publish_date was read: one of PUBLISH_DATE_SOURCES
    issuer_level: str = "government"  # one of ISSUER_LEVELS: whose report it is
    township: str | None = None  # a township's report (issuer_level "township"): its 镇/乡/街道; region is the county

    @property
    def title_inferred(self) -> bool:
        """Whether the title was composed by the indexer (the report has none of its own)."""
        return "title" in self.inferred

    def all_sources(self) -> tuple[str, ...]:
        return self.sources or (self.source,)

    def summary_dict(self, passages: int | None = None) -> dict:
        """The report's metadata as the API shows it in listings (``passages``: its passage count, for a report
        read without its passages)."""
        return {
            "report_id": self.report_id,
            "source": self.source,
            "title": self.title,
            "region": self.region.to_dict(),
            "year": self.year,
            "publish_date": self.publish_date,
            "issuer": self.issuer,
            "passages": len(self.passages) if passages is None else passages,
            "doc_type": self.doc_type,
            "encoding": self.encoding,
            "sources": list(self.all_sources()),
            "title_inferred": self.title_inferred,
            "inferred": list(self.inferred),
            "source_url": self.source_url,
            "accessed": self.accessed,
            "publish_date_source": self.publish_date_source,
            "issuer_level": self.issuer_level,
            "township": self.township,
        }

    def metadata_json(self) -> str:
        """Everything about the report but its passages, as engines store it (one place for every engine)."""
        meta = self.summary_dict()
        del meta["passages"]
        meta["files"] = [f.to_dict() for f in self.files]
        meta["text_hash"] = self.text_hash
        return json.dumps(meta, ensure_ascii=False)

    @classmethod
    def from_metadata_json(cls, raw: str, passages: tuple[Passage, ...]) -> Report:
        """The report :meth:`metadata_json` describes, with its passages."""
        meta = json.loads(raw)
        return cls(
            report_id=meta["report_id"],
            source=meta["source"],
            title=meta["title"],
            region=Region(**meta["region"]),
            year=meta["year"],
            publish_date=meta["publish_date"],
            issuer=meta["issuer"],
            passages=passages,
            # Indexes written before these fields existed lack them.
            doc_type=meta.get("doc_type", REPORT_DOC_TYPE),
            encoding=meta.get("encoding"),
            sources=tuple(meta.get("sources") or ()),
            files=tuple(SourceFile(**f) for f in meta.get("files") or ()),
            text_hash=meta.get("text_hash"),
            source_url=meta.get("source_url"),
            accessed=meta.get("accessed"),
            inferred=tuple(meta.get("inferred") or ()),
            publish_date_source=meta.get("publish_date_source"),
            issuer_level=meta.get("issuer_level", "government"),
            township=meta.get("township"),
        )


@dataclass(frozen=True)
class SearchRequest:
    """What a user asked for: a query string and facet filters (OR within a facet, AND across facets)."""

    query: str = ""
    regions: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    sections: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    page: int = 1
    per_page: int = 20
    sort: str = "relevance"  # relevance | year | region; the report table also occurrences, per_10k_chars, …
    group: bool = False  # one hit per report (its best passage), with how many other passages match there
    view: str = "passages"  # passages (hits) | reports (one row per matching report: the report table)
    facet_count: str = "passages"  # what facet counts count: passages (段) or reports (份)
    order: str = ""  # asc | desc; "" is the sort's own direction (newest year first, region A→Z, most first)
    year_ranges: tuple[tuple[int | None, int | None], ...] = ()  # 2021-2024, 2021- (open end), -2020
    reuse: tuple[str, ...] = ()  # of REUSE_STATUSES: passages shared with another report, or found in no other

    def filters_dict(self) -> dict[str, list]:
        """The filters in force as the API echoes them: what the user gave (a year range as ``"2021-2024"``)."""
        return {
            "region": list(self.regions),
            "year": [*self.years, *(format_year_range(r) for r in self.year_ranges)],
            "section": list(self.sections),
            "doc_type": list(self.doc_types),
            "reuse": list(self.reuse),
        }

    @property
    def filtered(self) -> bool:
        """Whether any filter is given: a region, year or year range, section, document type or reuse status."""
        return bool(self.regions or self.years or self.year_ranges or self.sections or self.doc_types or self.reuse)

    @property
    def reuse_filter(self) -> str | None:
        """The one reuse status kept (None when the filter keeps both, or is not given)."""
        chosen = set(self.reuse) & set(REUSE_STATUSES)
        return chosen.pop() if len(chosen) == 1 else None


def format_year_range(bounds: tuple[int | None, int | None]) -> str:
    """``(2021, 2024)`` → ``"2021-2024"``; an open end is left empty: ``(2021, None)`` → ``"2021-"``."""
    low, high = bounds
    return f"{low or ''}-{high or ''}"


@dataclass
class ReportRow:
    """One matching report in the report table of a search: how much of it matches, and how densely."""

    report_id: str
    title: str
    region: Region
    year: int | None
    doc_type: str
    passages: int  # matching passages (段)
    occurrences: int  # occurrences of the query's terms (处)
    chars: int  # characters of the report's passages (within the section filter), as published
    sections: dict[str, int]  # section -> occurrences there
    url: str  # the first matching passage
    source: str = ""
    publish_date: str | None = None
    issuer: str | None = None
    originality: float | None = None  # share of the report's characters found in no earlier report (0–1)

    @property
    def per_10k_chars(self) -> float:
        return round(self.occurrences * 10_000 / self.chars, 2) if self.chars else 0.0

    def to_dict(self) -> dict:
        return {
            "report_id": self.report_id,
            "title": self.title,
            "region": self.region.to_dict(),
            "year": self.year,
            "doc_type": self.doc_type,
            "passages": self.passages,
            "occurrences": self.occurrences,
            "chars": self.chars,
            "per_10k_chars": self.per_10k_chars,
            "sections": dict(self.sections),
            "url": self.url,
            "source": self.source,
            "publish_date": self.publish_date,
            "issuer": self.issuer,
            "originality": self.originality,
        }


@dataclass(frozen=True)
class Hit:
    """One matching passage, with its report's metadata and a highlighted snippet."""

    report_id: str
    passage_id: str
    source: str
    title: str
    region: Region
    year: int | None
    section: str
    heading: str
    text: str
    snippet: str  # HTML: matched occurrences in <mark>, everything else escaped
    url: str
    matches: int  # occurrences of the query's terms in the passage
    number: int
    score: float
    report_matches: int = 1  # matching passages in this hit's report (after filters)
    doc_type: str = REPORT_DOC_TYPE
    reuse: dict | None = None  # where else the passage's text appears (search.reuse_summary); None without reuse data

    def to_dict(self) -> dict:
        return {
            "report_id": self.report_id,
            "passage_id": self.passage_id,
            "source": self.source,
            "title": self.title,
            "region": self.region.to_dict(),
            "year": self.year,
            "section": self.section,
            "heading": self.heading,
            "text": self.text,
            "snippet": self.snippet,
            "url": self.url,
            "matches": self.matches,
            "number": self.number,
            "score": round(self.score, 4),
            "report_matches": self.report_matches,
            "doc_type": self.doc_type,
            "reuse": self.reuse,
        }


@dataclass(slots=True)
class FacetValue:
    """One value of a facet and its count. Not frozen: a national index builds thousands per search, and a
    frozen dataclass costs several times more to create."""

    value: str | int
    count: int
    level: str | None = None  # region facet only: province | prefecture | county
    parent: str | None = None  # region facet only: the name one level up


class FacetRows(Sequence[FacetValue]):
    """A facet's rows as parallel columns, read as :class:`FacetValue` objects (made when asked for).

    A national index's region facet has thousands of rows in every answer; the API turns them straight into
    JSON objects (:meth:`dicts`) and a page shows a few dozen, so no object per row is made in between.
    """

    __slots__ = ("_order", "_values", "_counts", "_levels", "_parents", "_json_parts")

    def __init__(
        self,
        order: list[int],
        values: list[str],
        counts: list[int],
        levels: list[str | None],
        parents: list[str | None],
        json_parts: tuple[list[str], list[str]] | None = None,
    ) -> None:
        # Row i is key order[i]: its value, count, level and parent are values[k], counts[k], levels[k] …
        self._order, self._values, self._counts = order, values, counts
        self._levels, self._parents = levels, parents
        self._json_parts = json_parts  # each key's JSON object before its count and after (facet_json_parts)

    def __len__(self) -> int:
        return len(self._order)

    def _row(self, k: int) -> FacetValue:
        return FacetValue(self._values[k], self._counts[k], self._levels[k], self._parents[k])

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._row(k) for k in self._order[i]]
        return self._row(self._order[i])

    def __iter__(self) -> Iterator[FacetValue]:
        return map(self._row, self._order)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def dicts(self) -> list[dict]:
        """The rows as the API's JSON objects ``{value, count, level, parent}``."""
        values, counts, levels, parents = self._values, self._counts, self._levels, self._parents
        return [{"value": values[k], "count": counts[k], "level": levels[k], "parent": parents[k]} for k in self._order]

    def json(self) -> bytes:
        """:meth:`dicts` as JSON (orjson's bytes for them): with the keys' JSON made once (``json_parts``), each
        row is its key's text around its count, joined in C loops, not a dict per row serialised."""
        if self._json_parts is None:
            return orjson.dumps(self.dicts())
        heads, tails = self._json_parts
        order, counts = self._order, self._counts
        head, count, tail = map(heads.__getitem__, order), map(counts.__getitem__, order), map(tails.__getitem__, order)
        return ("[" + ",".join(map("".join, zip(head, map(str, count), tail, strict=True))) + "]").encode()


def facet_json_parts(
    values: list[str], levels: list[str | None], parents: list[str | None]
) -> tuple[list[str], list[str]]:
    """For :class:`FacetRows` of these columns: each key's JSON object as orjson writes it, before its count and
    after it.

    >>> heads, tails = facet_json_parts(["四川省"], ["province"], [None])
    >>> heads[0] + "7" + tails[0]
    '{"value":"四川省","count":7,"level":"province","parent":null}'
    """

    def text(value: str | None) -> str:
        return orjson.dumps(value).decode()

    heads = ['{"value":' + text(v) + ',"count":' for v in values]
    tails = [',"level":' + text(lv) + ',"parent":' + text(p) + "}" for lv, p in zip(levels, parents, strict=True)]
    return heads, tails


@dataclass
class SearchResponse:
    """The result of one search: the page of hits and facet counts over the whole result set."""

    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, Sequence[FacetValue]] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    reports_total: int | None = None  # distinct reports among the matching passages (份)
    cached: bool = False  # answered from the snapshot's response cache
    occurrences: int = 0  # occurrences of the query's terms in all matching passages (处)
    reports: list[ReportRow] | None = None  # the page of the report table (view=reports)
    notes: list[str] = field(default_factory=list)  # what the reader should know about how the query was read

    def to_dict(self, json_fragments: bool = False) -> dict:
        """The JSON shape of ``/api/search`` (a contract: extend it, never rename or drop a field). With
        ``json_fragments``, a facet held as columns is its JSON already (an ``orjson.Fragment``: what the API
        sends; its thousands of region rows are not made into dicts to be serialised)."""
        facets: dict[str, list[dict] | orjson.Fragment] = {}
        for name, values in self.facets.items():
            if isinstance(values, FacetRows):
                facets[name] = orjson.Fragment(values.json()) if json_fragments else values.dicts()
                continue
            rows = []
            for v in values:
                row: dict = {"value": v.value, "count": v.count}
                if name == "region":
                    row["level"] = v.level
                    row["parent"] = v.parent
                rows.append(row)
            facets[name] = rows
        return {
            "query": self.request.query,
            "total": self.total,
            "page": self.request.page,
            "per_page": self.request.per_page,
            "hits": [h.to_dict() for h in self.hits],
            "facets": facets,
            "filters": self.request.filters_dict(),
            "sort": self.request.sort,
            "group": self.request.group,
            "reports_total": self.reports_total,
            "cached": self.cached,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "occurrences": self.occurrences,
            "view": self.request.view,
            "facet_count": self.request.facet_count,
            "order": self.request.order,
            "reports": [r.to_dict() for r in self.reports] if self.reports is not None else None,
            "notes": list(self.notes),
        }
