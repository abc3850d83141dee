"""One report's text → its metadata and passages: the whole of the indexer's text processing."""

from __future__ import annotations

from dataclasses import dataclass

from indexer import metadata
from indexer.furniture import strip_furniture
from indexer.gazetteer import find_place_mentions
from indexer.paragraphs import split_paragraphs
from indexer.region import resolve_region
from indexer.sections import place_paragraphs
from search.models import Region

# How many paragraphs at each end of a text may be a web page's information line or clock.
_PAGE_LINE_ZONE = 4


@dataclass(frozen=True)
class ParsedPassage:
    """One paragraph of a report, as published, with where it sits in the outline."""

    text: str  # the original text of the paragraph, stripped; never folded
    section: str  # one of search.models.SECTIONS
    heading: str  # the headings above the passage joined with " › "; "" if none


@dataclass(frozen=True)
class ParsedReport:
    """What the text of one report says about itself."""

    title: str  # the report's own title line, or one composed from region and year
    region: Region
    year: int | None  # the year the report covers
    publish_date: str | None  # ISO: the page's info line, else the date under the signature, else one below the title
    issuer: str | None  # from the closing signature lines, else from the title (某市司法局关于…的报告)
    passages: list[ParsedPassage]
    inferred: tuple[str, ...] = ()  # which of title, region, year the report does not state (see metadata)
    publish_date_source: str | None = None  # "page", "signature" or "text" (see search.models.PUBLISH_DATE_SOURCES)
    issuer_level: str = "government"  # one of search.models.ISSUER_LEVELS
    township: str | None = None  # the township (镇/乡/街道) whose report it is; its county is the region
    title_lines: int = 0  # how many leading passages are the report's own title (0: it has none)


def parse_report(text: str) -> ParsedReport:
    """Parse one report: strip page furniture, split it into passages, and read its metadata.

    Every character of the report apart from furniture lies in exactly one passage, in order: the title and
    the signature lines too, so that all of it can be found. A text copied from a web page may carry the
    page's information line (发布时间：…) or clock (今天是…) at its top or bottom: those are furniture, and the
    information line gives the publish date.
    """
    paragraphs = split_paragraphs(strip_furniture(text))
    edge = set(range(_PAGE_LINE_ZONE)) | set(range(len(paragraphs) - _PAGE_LINE_ZONE, len(paragraphs)))
    page_lines = {n for n in edge if 0 <= n < len(paragraphs) and metadata.is_page_line(paragraphs[n])}
    page_date = metadata.page_date_in([paragraphs[n] for n in sorted(page_lines)])
    paragraphs = [p for n, p in enumerate(paragraphs) if n not in page_lines]
    title_count = metadata.title_count(paragraphs)
    closing_count = metadata.closing_count(paragraphs[title_count:])
    closing = paragraphs[len(paragraphs) - closing_count :]
    title = metadata.title_text(paragraphs[:title_count]) if title_count else None
    body = paragraphs[title_count : len(paragraphs) - closing_count]
    # A date alone below the title ((2025年3月20日)) is not the opening.
    opening_paragraph = next((p for p in body[:2] if not metadata.is_date_line(p)), body[0] if body else "")
    opening = metadata.opening_sentence(opening_paragraph)

    subject = metadata.title_subject(title)
    year = metadata.report_year(title, opening, "\n".join(body))
    # A township's report is its county's region (the gazetteer stops at the county), and says the township.
    whose = metadata.issuer_level(subject, closing)
    if whose.level == "government" and not subject and not closing and metadata.calls_itself_a_township(text):
        whose = metadata.Issuer("township")
    region = resolve_region(
        "\n".join(paragraphs),
        title=title or "",
        opening=opening,
        signature=closing,
        subject=metadata.without_township(subject),
        year=year,
    )
    # The places the title and signature name: a region named there is the report's own word, not inferred.
    stated = {p.name for m in find_place_mentions(" ".join([title or "", *closing]), year) for p in m.places}
    placements = place_paragraphs(paragraphs, title_count=title_count, closing_count=closing_count, report_year=year)
    dates = (("page", page_date), ("signature", metadata.publish_date(closing)), ("text", metadata.text_date(body)))
    date_source, publish_date = next(((source, d) for source, d in dates if d), (None, None))
    return ParsedReport(
        title=title or metadata.compose_title(region, year),
        region=region,
        year=year,
        publish_date=publish_date,
        publish_date_source=date_source,
        issuer_level=whose.level,
        township=whose.township,
        title_lines=title_count,
        # The signature names the issuer; a title naming one (某市司法局关于…) stands in when there is none.
        issuer=metadata.issuer(closing) or metadata.issuer(list(subject)),
        passages=[ParsedPassage(p, pl.section, pl.heading) for p, pl in zip(paragraphs, placements, strict=True)],
        inferred=metadata.inferred_fields(title, year, region, stated),
    )
