"""China's administrative divisions as they were in a given year (see :mod:`search.divisions`), and finding
them named in a text.

Besides full names (阿坝藏族羌族自治州) it knows short names (阿坝), abbreviations that keep the kind (阿坝州,
镇宁自治县) and the state-level new areas that are no division (雄安新区 → 河北省). A text is read against the
divisions of its year: a 2017 report names 长治县, a 2019 one 上党区 (the same government, renamed in 2018).
Each year's table is built once per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from search import Region, areas, division_years, divisions_during, short_name, zones

# Everyday abbreviations of autonomous divisions that keep the kind (阿坝州, 镇宁自治县, 镇宁县): as telling as
# the full name, unlike the bare short name (阿坝 is also 阿坝县).
_ABBREVIATION_SUFFIXES = {"自治州": ("州",), "自治县": ("自治县", "县"), "自治旗": ("自治旗", "旗")}

# Short names that are everyday words in these reports (平安建设, 和平发展, 新华社…):
# a bare mention proves nothing.
_AMBIGUOUS_SHORT_NAMES = frozenset({"平安", "和平", "新华", "长安", "文明", "清河", "城关", "江北", "新城", "开发"})


@dataclass(frozen=True)
class Place:
    """One administrative division with its ancestors' names."""

    name: str  # official full name, e.g. 灵武市
    level: str  # province | prefecture | county
    province: str
    prefecture: str | None  # None for a province, a district of a municipality, or a county under a province
    short_name: str | None  # the name without its suffix, when that is still a name (长治); None otherwise
    code: str | None = None  # the division code in the year read (140421 for 长治县 in 2017)
    division_id: str | None = None  # persistent across renames (140404 for 长治县 and 上党区)

    def region(self) -> Region:
        """The place as a report region, with every level above it filled in."""
        names = {
            "province": (self.province, None, None),
            "prefecture": (self.province, self.name, None),
            "county": (self.province, self.prefecture, self.name),
        }[self.level]
        return Region(*names, code=self.code, division_id=self.division_id)

    def ancestors(self) -> tuple[str, ...]:
        """The full names of the divisions above this one, top down."""
        if self.level == "province":
            return ()
        if self.level == "prefecture" or self.prefecture is None:
            return (self.province,)
        return (self.province, self.prefecture)


@dataclass(frozen=True)
class PlaceMention:
    """A name of one or more places found in a text (same-named places share a mention)."""

    start: int
    end: int
    name: str  # the text that matched: a full name or a short name
    places: tuple[Place, ...]
    full: bool  # matched the official full name or an abbreviation that keeps its kind (阿坝州), not a short name


def abbreviations(place: Place) -> tuple[str, ...]:
    """Abbreviations of an autonomous division that keep its kind: 阿坝藏族羌族自治州 → 阿坝州."""
    if not place.short_name:
        return ()
    for kind, endings in _ABBREVIATION_SUFFIXES.items():
        if place.name.endswith(kind):
            return tuple(place.short_name + ending for ending in endings)
    return ()


def _walk_gazetteer(year: int) -> Iterator[Place]:
    parents: dict[str, Place] = {}
    for d in divisions_during(year):
        place = Place(d.name, d.level, d.province, d.prefecture, short_name(d.name, d.level), d.code, d.id)
        if d.level != "county":
            parents.setdefault(d.name, place)
        yield place
    for level, name, parent_name in areas():
        parent = parents.get(parent_name)
        if parent is not None:
            prefecture = parent.name if parent.level == "prefecture" else None
            yield Place(name, level, parent.province, prefecture, short_name(name, level))


def gazetteer_year(year: int | None) -> int:
    """The year whose divisions a text of ``year`` is read against: the year itself, the nearest year the lists
    know (a 2025 report is read against 2024's list and the overrides), or the latest year for no year."""
    first, last = division_years()
    return last if year is None else max(year, first)


@cache
def _places(year: int) -> tuple[Place, ...]:
    return tuple(_walk_gazetteer(year))


def all_places(year: int | None = None) -> tuple[Place, ...]:
    """Every division that existed in ``year`` (the latest year known when None), loaded once per year."""
    return _places(gazetteer_year(year))


@cache
def _names(year: int) -> dict[str, tuple[tuple[Place, ...], bool]]:
    """Name → (places so named, whether it is full); full names win over abbreviations, both over short names."""
    full: dict[str, list[Place]] = {}
    abbreviated: dict[str, list[Place]] = {}
    short: dict[str, list[Place]] = {}
    for place in _places(year):
        full.setdefault(place.name, []).append(place)
        for abbreviation in abbreviations(place):
            abbreviated.setdefault(abbreviation, []).append(place)
        if place.short_name and place.short_name not in _AMBIGUOUS_SHORT_NAMES:
            short.setdefault(place.short_name, []).append(place)
    names = {n: (tuple(p), False) for n, p in short.items()}
    names.update({n: (tuple(p), True) for n, p in abbreviated.items()})
    names.update({zone: (tuple(full[division]), True) for zone, division in zones().items() if division in full})
    names.update({n: (tuple(p), True) for n, p in full.items()})
    return names


@cache
def _name_lengths(year: int) -> dict[str, tuple[int, ...]]:
    """First character → the lengths of the names starting with it, longest first (the scan's only lookups)."""
    lengths: dict[str, set[int]] = {}
    for name in _names(year):
        lengths.setdefault(name[0], set()).add(len(name))
    return {c: tuple(sorted(sizes, reverse=True)) for c, sizes in lengths.items()}


def places_named(name: str, year: int | None = None) -> tuple[Place, ...]:
    """The places whose full or short name is ``name`` in ``year`` (长治 → 长治市; 朝阳区 → two districts;
    长治县 → 长治县 in 2017, nothing in 2019, when it was 上党区).

    A state-level new area gives the division it lies in (雄安新区 → 河北省).
    """
    found = _names(gazetteer_year(year)).get(name)
    return found[0] if found else ()


@cache
def _name_prefixes(year: int) -> np.ndarray:
    """Every name's first two characters (no name is shorter) as ``code << 21 | next code``, sorted."""
    return np.unique(np.array([ord(n[0]) << 21 | ord(n[1]) for n in _names(year)], dtype=np.int64))


def _name_starts(text: str, year: int) -> list[int]:
    """The positions of ``text`` where a name can start (its first two characters begin some name), ascending:
    the scan looks names up there alone, instead of at every character.

    >>> _name_starts("推进法治长治建设", 2024)
    [4]
    """
    if len(text) < 2:
        return []
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    keys = (codes[:-1] << 21) | codes[1:]
    prefixes = _name_prefixes(year)
    at = np.minimum(np.searchsorted(prefixes, keys), len(prefixes) - 1)
    return np.flatnonzero(prefixes[at] == keys).tolist()


def find_place_mentions(text: str, year: int | None = None) -> list[PlaceMention]:
    """Every place name in ``text`` as the divisions of ``year`` were named, scanning left to right and taking
    the longest name at each position (positions inside a name taken are passed over)."""
    year = gazetteer_year(year)
    names = _names(year)
    lengths = _name_lengths(year)
    mentions: list[PlaceMention] = []
    free = 0  # the first position not inside a mention already taken
    for i in _name_starts(text, year):
        if i < free:
            continue
        for size in lengths[text[i]]:
            # A slice running past the end is shorter than ``size`` and could match a shorter name.
            hit = names.get(text[i : i + size]) if i + size <= len(text) else None
            if hit:
                places, full = hit
                mentions.append(PlaceMention(i, i + size, text[i : i + size], places, full))
                free = i + size
                break
    return mentions
