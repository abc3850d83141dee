"""Region filter values as users write them: full names (山西省), short names (山西, 长治, 宁夏, 岳麓) and
qualified names (长沙市岳麓区, 湖南/长沙/岳麓), resolved to the full names the index holds.

Pure functions over the index's places (each level's full name, its parents and its report count): the
search entry points resolve a request's regions once, so engines only ever see full names. The short-name
rule (宁夏回族自治区 → 宁夏) lives here too; the indexer's gazetteer uses it to read place names in texts.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

from search.models import REGION_LEVELS, Region

# Suffixes that name the kind of division; a place is often called by its name without them (长治市 → 长治).
PROVINCE_SUFFIXES = ("特别行政区", "自治区", "省", "市")
PREFECTURE_SUFFIXES = ("自治州", "地区", "盟", "市")
COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "新区", "县", "区", "市", "旗")
_SUFFIXES = {"province": PROVINCE_SUFFIXES, "prefecture": PREFECTURE_SUFFIXES, "county": COUNTY_SUFFIXES}

# Ethnic names that precede 自治区/自治州/自治县 (黔东南苗族侗族自治州 → 黔东南). One-character names are only
# stripped with 族, so that a place like 水城 or 白云 keeps its name.
ETHNIC_GROUPS = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 "
    "塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
_ETHNIC_TAIL = re.compile(
    "(?:各族|"
    + "|".join(sorted((g + "族" for g in ETHNIC_GROUPS), key=len, reverse=True))
    + "|"
    + "|".join(sorted((g for g in ETHNIC_GROUPS if len(g) > 1), key=len, reverse=True))
    + ")+$"
)

# What separates the levels of a qualified name: 湖南省/长沙市/岳麓区, 湖南 / 长沙 / 岳麓, 湖南·长沙·岳麓.
_SEPARATORS = re.compile(r"\s*[/／>›·・\s]\s*")


def region_note(value: str, names: Sequence[str]) -> str:
    """The note saying how a region value was read, shown above the results and in the CLI.

    >>> region_note("山西", ["山西省"])
    '地区“山西”按“山西省”检索'
    """
    return f"地区“{value}”按“{'”“'.join(names)}”检索"


def short_name(name: str, level: str) -> str | None:
    """The everyday form of a division's name, or None when there is none.

    >>> short_name("宁夏回族自治区", "province"), short_name("长治市", "prefecture"), short_name("岳麓区", "county")
    ('宁夏', '长治', '岳麓')
    >>> short_name("内蒙古自治区", "province"), short_name("城区", "county")
    ('内蒙古', None)
    """
    for suffix in _SUFFIXES[level]:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            if suffix.startswith("自治"):
                # 内蒙古自治区 is 内蒙古, not 内: keep the ethnic name when nothing usable is left without it.
                without_ethnic = _ETHNIC_TAIL.sub("", stem)
                stem = without_ethnic if len(without_ethnic) >= 2 else stem.removesuffix("族")
            # One character (城区 → 城) is not a usable name; 清新区 is 清新 + 区, not 清 + 新区.
            if len(stem) >= 2:
                return stem
    return None


@dataclass(frozen=True)
class IndexPlace:
    """A region of the index at one level: its full name, the full names above it, and its reports."""

    level: str  # province | prefecture | county
    path: tuple[str, ...]  # full names top down, ending with this place's: ("湖南省", "长沙市", "岳麓区")
    reports: int
    levels: tuple[str, ...] = ()  # the level of each name of ``path``

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def parent(self) -> str | None:
        return self.path[-2] if len(self.path) > 1 else None

    @property
    def short(self) -> str | None:
        return short_name(self.name, self.level)

    def label(self) -> str:
        """``湖南省 / 长沙市 / 岳麓区``"""
        return " / ".join(self.path)

    def called(self, text: str) -> bool:
        """Whether ``text`` is this place's full or short name."""
        return text == self.name or text == self.short


def index_places(regions: Iterable[Region], reports: Iterable[int] | None = None) -> tuple[IndexPlace, ...]:
    """Every place the given report regions reach, at each level, with how many reports it has (``reports``:
    how many reports each region stands for, when the regions are distinct; one each otherwise).

    >>> [(p.path, p.reports) for p in index_places([Region("山西省", "长治市"), Region("山西省", "忻州市")])]
    [(('山西省',), 2), (('山西省', '长治市'), 1), (('山西省', '忻州市'), 1)]
    >>> [(p.path, p.reports) for p in index_places([Region("山西省", "长治市")], [3])]
    [(('山西省',), 3), (('山西省', '长治市'), 3)]
    """
    counts: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    weights = reports if reports is not None else repeat(1)
    for region, n in zip(regions, weights, strict=False):  # weights may be endless
        path: tuple[str, ...] = ()
        levels: tuple[str, ...] = ()
        for level, name in zip(REGION_LEVELS, (region.province, region.prefecture, region.county), strict=True):
            if name:
                path, levels = (*path, name), (*levels, level)
                counts[(levels, path)] += n
    return tuple(IndexPlace(levels[-1], path, n, levels) for (levels, path), n in counts.items())


@dataclass(frozen=True)
class RegionMatch:
    """What one region value means in an index.

    ``names`` are the full names to filter on (empty when the value is ambiguous or unknown); ``choices``
    are the places an ambiguous value could mean, or near names of an unknown one; ``how`` says which:
    full | short | qualified | ambiguous | unknown.
    """

    value: str
    names: tuple[str, ...]
    choices: tuple[IndexPlace, ...]
    how: str


def _under(place: IndexPlace, parents: Sequence[str]) -> bool:
    """Whether ``parents`` name places above ``place``, top down (levels may be skipped: 湖南/岳麓)."""
    above = list(zip(place.levels, place.path[:-1], strict=False))
    i = 0
    for part in parents:
        while i < len(above) and part not in (above[i][1], short_name(above[i][1], above[i][0])):
            i += 1
        if i == len(above):
            return False
        i += 1
    return True


def _splits(text: str, names: set[str], limit: int = 4) -> list[list[str]]:
    """Ways to read ``text`` as known names written one after another (长沙市岳麓区 → [长沙市, 岳麓区])."""
    if text in names:
        return [[text]]
    if limit == 1:
        return []
    out = []
    for i in range(2, len(text) - 1):
        if text[:i] in names:
            out += [[text[:i], *rest] for rest in _splits(text[i:], names, limit - 1)]
    return out


def _qualified(value: str, places: Sequence[IndexPlace]) -> list[IndexPlace]:
    parts = [p for p in _SEPARATORS.split(value) if p]
    readings = [parts] if len(parts) > 1 else []
    if len(parts) == 1:
        names = {n for p in places for n in (p.name, p.short) if n}
        readings = [r for r in _splits(value, names) if len(r) > 1]
    found: dict[IndexPlace, None] = {}
    for parts in readings:
        for place in places:
            if place.called(parts[-1]) and _under(place, parts[:-1]):
                found[place] = None
    return list(found)


def near_places(value: str, places: Sequence[IndexPlace], n: int = 5) -> list[IndexPlace]:
    """Places whose full or short name is close to ``value`` (a typo, another suffix: 长治县 → 长治市)."""
    by_name: dict[str, list[IndexPlace]] = {}
    for p in places:
        for name in (p.name, p.short):
            if name:
                by_name.setdefault(name, []).append(p)
    close = difflib.get_close_matches(value, list(by_name), n=n, cutoff=0.5)
    close += [name for name in by_name if len(value) >= 2 and (value in name or name in value)]
    out = dict.fromkeys(p for name in close for p in by_name[name])
    return sorted(out, key=lambda p: -p.reports)[:n]


def resolve_region(value: str, places: Sequence[IndexPlace]) -> RegionMatch:
    """The full name(s) a region value stands for among ``places`` (see :func:`index_places`).

    A full name stands for itself; a short name (山西, 长治, 宁夏, 岳麓) for the one place so called; a
    qualified name (长沙市岳麓区, 湖南/长沙/岳麓) for the place under the named parents. Several places with
    different full names make the value ambiguous; no place at all, unknown.

    >>> regions = [Region("山西省", "长治市"), Region("湖南省", "长沙市", "岳麓区"), Region("吉林省", "吉林市")]
    >>> places = index_places(regions)
    >>> resolve_region("长治", places).names, resolve_region("长沙市岳麓区", places).names
    (('长治市',), ('岳麓区',))
    >>> m = resolve_region("吉林", places)
    >>> m.how, [p.name for p in m.choices]
    ('ambiguous', ['吉林省', '吉林市'])
    >>> resolve_region("长治县", places).how, [p.name for p in resolve_region("长治县", places).choices]
    ('unknown', ['长治市'])
    """
    value = value.strip()
    found = [p for p in places if p.name == value]
    if found:
        return RegionMatch(value, (value,), (), "full")
    found, how = [p for p in places if p.short == value], "short"
    if not found:
        found, how = _qualified(value, places), "qualified"
    names = tuple(dict.fromkeys(p.name for p in found))
    if len(names) == 1:
        return RegionMatch(value, names, (), how)
    if names:
        return RegionMatch(value, (), tuple(sorted(found, key=lambda p: -p.reports)), "ambiguous")
    return RegionMatch(value, (), tuple(near_places(value, places)), "unknown")
