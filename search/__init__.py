"""Searching the index: the query language, exact matching, ranking, facets and snippets.

`search` imports neither Flask nor the CLI toolkit; `web` and `indexer` build on it.
"""

from search.core import SORTS, SearchError, search
from search.engines import open_engine
from search.models import SECTIONS, Hit, Passage, Region, Report, SearchRequest, SearchResponse

__all__ = [
    "SECTIONS",
    "SORTS",
    "Hit",
    "Passage",
    "Region",
    "Report",
    "SearchError",
    "SearchRequest",
    "SearchResponse",
    "open_engine",
    "search",
]
