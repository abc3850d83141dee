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
    publish_date: str | None  # ISO, from the closing date
    issuer: str | None  # from the closing signature lines, else from the title (某市司法局关于…的报告)
    passages: list[ParsedPassage]
    inferred: tuple[str, ...] = ()  # which of title, region, year the report does not state (see metadata)


def parse_report(text: str) -> ParsedReport:
    """Parse one report: strip page furniture, split it into passages, and read its metadata.

    Every character of the report apart from furniture lies in exactly one passage, in order: the title and
    the signature lines too, so that all of it can be found.
    """
    paragraphs = split_paragraphs(strip_furniture(text))
    title_count = metadata.title_count(paragraphs)
    closing_count = metadata.closing_count(paragraphs[title_count:])
    closing = paragraphs[len(paragraphs) - closing_count :]
    title = metadata.title_text(paragraphs[:title_count]) if title_count else None
    body = paragraphs[title_count : len(paragraphs) - closing_count]
    opening = metadata.opening_sentence(body[0]) if body else ""

    subject = metadata.title_subject(title)
    year = metadata.report_year(title, opening, "\n".join(body))
    region = resolve_region(
        "\n".join(paragraphs), title=title or "", opening=opening, signature=closing, subject=subject, year=year
    )
    # The places the title and signature name: a region named there is the report's own word, not inferred.
    stated = {p.name for m in find_place_mentions(" ".join([title or "", *closing]), year) for p in m.places}
    placements = place_paragraphs(paragraphs, title_count=title_count, closing_count=closing_count, report_year=year)
    return ParsedReport(
        title=title or metadata.compose_title(region, year),
        region=region,
        year=year,
        publish_date=metadata.publish_date(closing),
        # The signature names the issuer; a title naming one (某市司法局关于…) stands in when there is none.
        issuer=metadata.issuer(closing) or metadata.issuer(list(subject)),
        passages=[ParsedPassage(p, pl.section, pl.heading) for p, pl in zip(paragraphs, placements, strict=True)],
        inferred=metadata.inferred_fields(title, year, region, stated),
    )
