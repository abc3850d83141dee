"""The README documents every command, option and setting (sqlite-utils style)."""

from pathlib import Path

import pytest

from fazhi.cli import main
from search.settings import PREFIX, SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_documented(command):
    assert f"fazhi {command}" in README


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (name, opt)
        for name, cmd in sorted(main.commands.items())
        for p in cmd.params
        for opt in p.opts
        if opt.startswith("--")
    ],
)
def test_every_option_is_documented(command, option):
    assert option in README, f"fazhi {command} {option} is not in the README"


@pytest.mark.parametrize("setting", [s.name for s in SETTINGS])
def test_every_setting_is_documented(setting):
    assert f"{PREFIX}{setting}" in README


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    last = [line for line in ci.splitlines() if line.strip() and not line.startswith(("#", "set ", "cd "))][-1]
    assert last.strip() in README
