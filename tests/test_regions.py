"""Region filter values as users write them (search/regions.py), and the search entry points resolving them."""

import pytest

from search import SearchError, SearchRequest, concordance, filter_reports, search, trends
from search.concordance import ConcordanceRequest
from search.models import Region
from search.regions import index_places, resolve_region, short_name
from search.trends import TrendsRequest

PLACES = index_places(
    [
        Region("山西省", "长治市", None),
        Region("山西省", "忻州市", None),
        Region("山西省", "临汾市", "曲沃县"),
        Region("宁夏回族自治区", "银川市", "灵武市"),
        Region("湖南省", "长沙市", "岳麓区"),
        Region("吉林省", "吉林市", None),
        Region("北京市", None, "朝阳区"),
        Region("吉林省", "长春市", "朝阳区"),
        Region("辽宁省", "朝阳市", None),
    ]
)


@pytest.mark.parametrize(
    ("name", "level", "short"),
    [
        ("宁夏回族自治区", "province", "宁夏"),
        ("山西省", "province", "山西"),
        ("长治市", "prefecture", "长治"),
        ("岳麓区", "county", "岳麓"),
        ("内蒙古自治区", "province", "内蒙古"),
        ("城区", "county", None),
    ],
)
def test_short_name_rule(name, level, short):
    assert short_name(name, level) == short


def test_index_places_count_reports_at_every_level():
    counts = {p.path: p.reports for p in PLACES}
    assert counts[("山西省",)] == 3 and counts[("山西省", "长治市")] == 1
    assert counts[("湖南省", "长沙市", "岳麓区")] == 1 and counts[("北京市", "朝阳区")] == 1


@pytest.mark.parametrize(
    ("value", "names", "how"),
    [
        ("山西", ("山西省",), "short"),
        ("长治", ("长治市",), "short"),
        ("宁夏", ("宁夏回族自治区",), "short"),
        ("岳麓", ("岳麓区",), "short"),
        ("山西省", ("山西省",), "full"),
        (" 长治市 ", ("长治市",), "full"),
        ("长沙市岳麓区", ("岳麓区",), "qualified"),
        ("湖南省/长沙市/岳麓区", ("岳麓区",), "qualified"),
        ("湖南 / 长沙 / 岳麓", ("岳麓区",), "qualified"),
        ("湖南/岳麓", ("岳麓区",), "qualified"),  # a level may be skipped
        ("山西临汾曲沃", ("曲沃县",), "qualified"),
        ("朝阳区", ("朝阳区",), "full"),  # a shared full name stands for every place so called, as before
        ("吉林省/吉林", ("吉林市",), "qualified"),
    ],
)
def test_values_resolve_to_full_names(value, names, how):
    match = resolve_region(value, PLACES)
    assert (match.names, match.how) == (names, how)


def test_a_short_name_two_places_share_is_ambiguous_with_their_reports():
    match = resolve_region("吉林", PLACES)
    assert match.how == "ambiguous" and match.names == ()
    assert {(p.label(), p.reports) for p in match.choices} == {("吉林省", 2), ("吉林省 / 吉林市", 1)}
    chaoyang = resolve_region("朝阳", PLACES)
    assert chaoyang.how == "ambiguous"
    assert {p.label() for p in chaoyang.choices} == {"北京市 / 朝阳区", "吉林省 / 长春市 / 朝阳区", "辽宁省 / 朝阳市"}


def test_a_parent_that_does_not_hold_the_place_is_not_a_qualified_name():
    assert resolve_region("山西/岳麓", PLACES).how == "unknown"
    assert resolve_region("湖南长治", PLACES).how == "unknown"


@pytest.mark.parametrize(
    ("value", "near"), [("长治县", "长治市"), ("岳麓山", "岳麓区"), ("宁夏自治区", "宁夏回族自治区")]
)
def test_an_unknown_value_offers_near_names(value, near):
    match = resolve_region(value, PLACES)
    assert match.how == "unknown" and match.names == ()
    assert near in [p.name for p in match.choices]


def test_a_value_near_nothing_offers_nothing():
    match = resolve_region("火星", PLACES)
    assert (match.how, match.choices) == ("unknown", ())


# The entry points, on the small index: 山西省/长治市 (ra), 宁夏回族自治区/银川市/灵武市 (rb), 天津市/静海区 (rc).


def test_search_resolves_short_names_and_says_so(snap):
    full = search(snap, SearchRequest("法治", regions=("山西省", "灵武市")), use_cache=False)
    short = search(snap, SearchRequest("法治", regions=("山西", "灵武")), use_cache=False)
    assert short.total == full.total > 0 and [h.passage_id for h in short.hits] == [h.passage_id for h in full.hits]
    assert short.request.regions == ("山西省", "灵武市")
    assert short.to_dict()["filters"]["region"] == ["山西省", "灵武市"]
    assert short.notes[:2] == ["地区“山西”按“山西省”检索", "地区“灵武”按“灵武市”检索"] and full.notes == []


def test_search_refuses_an_unknown_region_instead_of_answering_nothing(snap):
    with pytest.raises(SearchError) as e:
        search(snap, SearchRequest("法治", regions=("长治县",)))
    assert e.value.param == "region" and e.value.value == "长治县"
    assert "no report in this index" in str(e.value)
    assert [c["value"] for c in e.value.choices] == ["长治市"] and e.value.choices[0]["reports"] == 1


def test_every_entry_point_resolves(snap):
    request = SearchRequest(regions=("宁夏",))
    assert [r.report_id for r in filter_reports(snap, request)] == ["rb"]
    kwic = concordance(snap, ConcordanceRequest(filters=SearchRequest("经验", regions=("宁夏",))))
    assert kwic.total > 0 and {line.report_id for line in kwic.lines} == {"rb"}
    assert kwic.to_dict()["filters"]["region"] == ["宁夏回族自治区"]
    t = trends(snap, TrendsRequest(("法治",), filters=request, split="region"))
    assert t.split_level == "prefecture" and [s.split_value for s in t.series] == ["银川市"]
    assert t.to_dict()["filters"]["region"] == ["宁夏回族自治区"] and t.notes == ["地区“宁夏”按“宁夏回族自治区”检索"]
