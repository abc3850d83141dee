"""Choosing the engine behind the index (setting ``FAZHI_ENGINE``). Each engine lives in a module of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from search.core import Snapshot
from search.models import Report

ENGINES: tuple[str, ...] = ("whoosh", "tantivy")


class Engine(Protocol):
    index_dir: Path

    def exists(self) -> bool: ...

    def snapshot(self) -> Snapshot:
        """The latest committed generation of the index, in memory (reloaded when a newer one lands)."""
        ...

    def reports(self) -> dict[str, Report]:
        """The reports of the latest generation, without what serving needs besides (the indexer's view)."""
        ...


class EngineWriter(Protocol):
    def __call__(self, index_dir: Path, reports: list[Report]) -> None: ...


def _check(name: str) -> None:
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")


def open_engine(index_dir: Path, name: str = "whoosh") -> Engine:
    """An engine reading the index at ``index_dir``."""
    _check(name)
    if name == "tantivy":
        from search.tantivy_engine import TantivyEngine

        return TantivyEngine(Path(index_dir))
    from search.whoosh_engine import WhooshEngine

    return WhooshEngine(Path(index_dir))


def index_writer(name: str = "whoosh") -> EngineWriter:
    """The function that replaces the index at a folder with the given reports, in one commit."""
    _check(name)
    if name == "tantivy":
        from search.tantivy_engine import write_reports as write_tantivy

        return write_tantivy
    from search.whoosh_engine import write_reports

    return write_reports
