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


class OtherEngineIndexError(FileNotFoundError):
    """The folder holds an index, written by the other engine: to this engine as good as none, but the fix
    is naming the engine (``--engine``, ``FAZHI_ENGINE``), not building an index."""

    def __init__(self, index_dir: Path, engine: str, built_with: str) -> None:
        super().__init__(
            f"the index in {index_dir} was built with {built_with}, not {engine}: add --engine {built_with} "
            f"(or set FAZHI_ENGINE={built_with}), or rebuild it with `fazhi index CORPUS_DIR --engine {engine} "
            "--rebuild`"
        )
        self.engine = engine
        self.built_with = built_with


def built_with(index_dir: Path) -> str | None:
    """Which engine wrote the index in ``index_dir`` (by the files each leaves), or None when none did."""
    index_dir = Path(index_dir)
    if (index_dir / "meta.json").is_file():  # tantivy's commit file
        return "tantivy"
    if any(index_dir.glob("_MAIN_*.toc")):  # Whoosh's table of contents, one per generation
        return "whoosh"
    return None


class _Named:
    """An engine whose "no index" says so when the folder holds the other engine's index."""

    def __init__(self, engine: Engine, name: str) -> None:
        self._engine, self._name = engine, name

    def __getattr__(self, attr: str):
        return getattr(self._engine, attr)

    def _missing(self, e: FileNotFoundError) -> FileNotFoundError:
        other = built_with(self._engine.index_dir)
        if other is None or other == self._name:
            return e
        return OtherEngineIndexError(self._engine.index_dir, self._name, other)

    def snapshot(self) -> Snapshot:
        try:
            return self._engine.snapshot()
        except FileNotFoundError as e:
            raise self._missing(e) from None

    def reports(self) -> dict[str, Report]:
        try:
            return self._engine.reports()
        except FileNotFoundError as e:
            raise self._missing(e) from None


def open_engine(index_dir: Path, name: str = "whoosh") -> Engine:
    """An engine reading the index at ``index_dir``. Asked for an index another engine wrote, it raises
    :class:`OtherEngineIndexError` naming that engine (a :class:`FileNotFoundError`, as "no index" is)."""
    _check(name)
    if name == "tantivy":
        from search.tantivy_engine import TantivyEngine

        return _Named(TantivyEngine(Path(index_dir)), name)  # type: ignore[return-value]
    from search.whoosh_engine import WhooshEngine

    return _Named(WhooshEngine(Path(index_dir)), name)  # type: ignore[return-value]


def index_writer(name: str = "whoosh") -> EngineWriter:
    """The function that replaces the index at a folder with the given reports, in one commit."""
    _check(name)
    if name == "tantivy":
        from search.tantivy_engine import write_reports as write_tantivy

        return write_tantivy
    from search.whoosh_engine import write_reports

    return write_reports
