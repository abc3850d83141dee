"""The engines behind the index, by name (setting ``FAZHI_ENGINE``): a name → module table.

Each engine is one module exposing the functions of :class:`EngineModule`: ``engine(index_dir, cache_size)``
(a reader handing out snapshots, :class:`search.contract.Snapshot`), ``write_reports(index_dir, reports,
replace_all, remove)`` and ``holds_index(index_dir)``. A new engine is its module plus one line in
:data:`ENGINE_MODULES`; the CLI's ``--engine``, the setting's help and the tests' parametrisation come from
this table. Engine modules are imported when first asked for (tantivy's library is not loaded by a site that
serves Whoosh).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from search.contract import Snapshot
    from search.models import Report

ENGINE_MODULES: dict[str, str] = {
    "whoosh": "search.whoosh_engine",
    "tantivy": "search.tantivy_engine",
    "sphinx": "search.sphinx_engine",
}
"""Every engine: its name and the module that implements it."""

ENGINES: tuple[str, ...] = tuple(ENGINE_MODULES)
"""The engines' names, the first being the default."""


class Engine(Protocol):
    index_dir: Path

    def exists(self) -> bool: ...

    def snapshot(self) -> Snapshot:
        """The latest committed generation of the index, ready to serve (reloaded when a newer one lands)."""
        ...

    def reports(self) -> dict[str, Report]:
        """The reports of the latest generation, without what serving needs besides (the indexer's view)."""
        ...


class EngineWriter(Protocol):
    def __call__(
        self, index_dir: Path, reports: Iterable[Report], replace_all: bool = True, remove: Iterable[str] = ()
    ) -> None: ...


class EngineModule(Protocol):
    """What an engine's module exposes."""

    def engine(self, index_dir: Path, cache_size: int) -> Engine:
        """A reader of the index at ``index_dir`` whose snapshots keep ``cache_size`` responses."""
        ...

    write_reports: EngineWriter
    """Replace (or, without ``replace_all``, update) the index at a folder with the given reports, in one
    commit; :func:`search.contract.index_busy` when another process is writing it."""

    def holds_index(self, index_dir: Path) -> bool:
        """Whether ``index_dir`` holds an index this engine wrote (by the files it leaves)."""
        ...


def engine_module(name: str) -> EngineModule:
    """The module of the engine called ``name``."""
    if name not in ENGINE_MODULES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")
    return importlib.import_module(ENGINE_MODULES[name])  # type: ignore[return-value]


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
    return next((name for name in ENGINES if engine_module(name).holds_index(Path(index_dir))), None)


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


def open_engine(index_dir: Path, name: str = ENGINES[0], cache_size: int = 0) -> Engine:
    """An engine reading the index at ``index_dir``, its snapshots keeping ``cache_size`` responses (the site
    and the CLI pass the setting ``FAZHI_CACHE_SIZE``; settings enter at the top, never read down here). Asked
    for an index another engine wrote, it raises :class:`OtherEngineIndexError` naming that engine (a
    :class:`FileNotFoundError`, as "no index" is)."""
    return _Named(engine_module(name).engine(Path(index_dir), cache_size), name)  # type: ignore[return-value]


def index_writer(name: str = ENGINES[0]) -> EngineWriter:
    """The function that replaces the index at a folder with the given reports, in one commit."""
    return engine_module(name).write_reports
