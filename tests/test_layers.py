"""The import rules between the packages, read from the source with ``ast`` (imports inside functions too):
``web`` → ``search`` ← ``indexer``; the command line (``fazhi``) over all three; inside ``search``, the entry
point → the engine contract ← the engines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import search
from search.engines import ENGINE_MODULES

ROOT = Path(__file__).resolve().parents[1]


def imports(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Every import of a file: (module, names imported from it); ``import a.b`` is ``("a.b", ())``."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, tuple(alias.name for alias in node.names)))
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def top(module: str) -> str:
    return module.split(".")[0]


def test_the_helper_reads_imports_inside_functions_too(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import a.b\nfrom c import d, e\ndef f():\n    from search.core import search\n")
    assert imports(f) == [("a.b", ()), ("c", ("d", "e")), ("search.core", ("search",))]


@pytest.mark.parametrize("path", sources("search"), ids=lambda p: p.name)
def test_search_imports_neither_the_web_toolkits_nor_the_other_packages(path):
    bad = {
        m for m, _ in imports(path) if top(m) in {"flask", "werkzeug", "click", "gunicorn", "web", "indexer", "fazhi"}
    }
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


BELOW_THE_ENTRY_POINT = sorted(
    {*ENGINE_MODULES.values(), "search.contract", "search.memory", "search.counting", "search.arrays"}
)


@pytest.mark.parametrize("module", [*BELOW_THE_ENTRY_POINT, "search.engines"])
def test_no_engine_imports_the_entry_point(module):
    """Engines, the contract and what they build on never call back up into ``search.core`` (nor through the
    package ``search``, whose ``__init__`` imports it)."""
    path = ROOT / (module.replace(".", "/") + ".py")
    bad = [(m, names) for m, names in imports(path) if m in {"search", "search.core"}]
    assert not bad, f"{module} imports {bad}"


def test_every_registered_engine_is_a_module_of_search():
    assert search.ENGINES == tuple(ENGINE_MODULES)
    for module in ENGINE_MODULES.values():
        assert (ROOT / (module.replace(".", "/") + ".py")).is_file()


@pytest.mark.parametrize("path", sources("web") + sources("fazhi"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_web_and_the_command_line_import_only_the_public_names_of_search(path):
    for module, names in imports(path):
        if top(module) != "search":
            continue
        assert module == "search", f"{path.relative_to(ROOT)} imports the submodule {module}: add it to search/__init__"
        private = [n for n in names if n not in search.__all__]
        assert not private, f"{path.relative_to(ROOT)} imports {private}, not declared in search.__all__"


@pytest.mark.parametrize("path", sources("web"), ids=lambda p: p.name)
def test_web_never_imports_the_indexer_nor_the_command_line(path):
    bad = {m for m, _ in imports(path) if top(m) in {"indexer", "fazhi", "click"}}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", sources("indexer"), ids=lambda p: p.name)
def test_indexer_never_imports_the_web_app_nor_the_command_line(path):
    bad = {m for m, _ in imports(path) if top(m) in {"web", "flask", "fazhi", "click", "gunicorn"}}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_every_public_name_of_search_is_importable():
    missing = [name for name in search.__all__ if not hasattr(search, name)]
    assert not missing


def test_only_the_reuse_step_imports_numba_and_only_inside_its_functions():
    """The compiled loops are the indexer's: a module-level import of numba (or of search.reuse_kernels) anywhere
    but in reuse_kernels itself would load it into every serving worker."""
    loaded_at_import = set()
    for path in sources("search") + sources("web") + sources("indexer") + sources("fazhi"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in tree.body:  # (module level only: imports inside functions run when called)
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            if any(top(n) == "numba" or n == "search.reuse_kernels" for n in names):
                loaded_at_import.add(path.relative_to(ROOT).as_posix())
    assert loaded_at_import == {"search/reuse_kernels.py"}
