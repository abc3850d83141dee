"""The gazetteer, and resolving which government a report comes from."""

import pytest

from indexer.gazetteer import all_places, find_place_mentions, places_named, short_name
from indexer.region import resolve_region, self_reference
from search.models import Region


@pytest.mark.parametrize(
    ("name", "level", "short"),
    [
        ("宁夏回族自治区", "province", "宁夏"),
        ("内蒙古自治区", "province", "内蒙古"),
        ("山西省", "province", "山西"),
        ("北京市", "province", "北京"),
        ("长治市", "prefecture", "长治"),
        ("黔东南苗族侗族自治州", "prefecture", "黔东南"),
        ("大兴安岭地区", "prefecture", "大兴安岭"),
        ("曲沃县", "county", "曲沃"),
        ("城区", "county", None),
        ("浦东新区", "county", "浦东"),
        ("清新区", "county", "清新"),  # 清新 + 区, not 清 + 新区
    ],
)
def test_short_names(name, level, short):
    assert short_name(name, level) == short


@pytest.mark.parametrize(
    ("name", "full_name"),
    [("阿坝州", "阿坝藏族羌族自治州"), ("黔西南州", "黔西南布依族苗族自治州"), ("镇宁自治县", "镇宁布依族苗族自治县")],
)
def test_abbreviations_keep_the_kind(name, full_name):
    assert [p.name for p in places_named(name)] == [full_name]
    (mention,) = find_place_mentions(f"{name}坚持依法行政")
    assert mention.full


def test_functional_zones_missing_from_the_gazetteer_give_the_division_they_lie_in():
    assert [p.name for p in places_named("雄安新区")] == ["河北省"]
    assert [m.name for m in find_place_mentions("与雄安新区签订协议")] == ["雄安新区"]  # not 安新 (安新县)


def test_gazetteer_is_loaded_once():
    assert all_places() is all_places()


def test_places_carry_their_parents():
    (lingwu,) = places_named("灵武市")
    assert lingwu.region() == Region("宁夏回族自治区", "银川市", "灵武市")
    (luzhou,) = places_named("潞州区")
    assert luzhou.region() == Region("山西省", "长治市", "潞州区")


def test_municipality_districts_have_no_prefecture():
    (jinghai,) = places_named("静海区")
    assert jinghai.region() == Region("天津市", None, "静海区")


def test_short_names_resolve_to_full_names():
    assert [p.name for p in places_named("长治")] == ["长治市"]
    assert [p.name for p in places_named("宁夏")] == ["宁夏回族自治区"]


def test_same_named_places():
    assert {p.province for p in places_named("朝阳区")} == {"北京市", "吉林省"}


def test_mentions_take_the_longest_name():
    mentions = find_place_mentions("修改《长治市沁河流域生态修复与保护条例》,推进法治长治")
    assert [(m.name, m.full) for m in mentions] == [("长治市", True), ("长治", False)]


@pytest.mark.parametrize(
    ("text", "kind"), [("我市坚持…我市代表队…我区", "市"), ("全区上下,我区", "区"), ("全市", None)]
)
def test_self_reference(text, kind):
    assert self_reference(text) == kind


def test_a_city_report_that_names_its_district_is_the_citys():
    body = "2024年,我市坚持依法行政。潞州区被确定为试点。推进法治长治建设。修改《长治市饮用水水源地保护条例》。"
    assert resolve_region(body, opening="2024年,我市坚持依法行政") == Region("山西省", "长治市", None)


def test_a_county_level_city_gets_its_parents_from_the_gazetteer():
    body = "2024年,灵武市坚持依法行政。在全区率先建立审查队伍。全区首个。对我市经验进行调研。"
    assert resolve_region(body, opening="2024年,灵武市坚持依法行政") == Region("宁夏回族自治区", "银川市", "灵武市")


def test_places_merely_mentioned_do_not_win():
    body = (
        "2023年,忻州市坚持依法行政。市局与雄安新区、保定市局签订协议。在繁峙县开展培训。"
        "原平市税务局拍摄微电影。我市在全省率先立法。忻州市全面推行公示制度。"
    )
    assert resolve_region(body, opening="2023年,忻州市坚持依法行政") == Region("山西省", "忻州市", None)


def test_a_district_named_in_the_title_and_signature():
    body = "关于2024年岳麓区法治政府建设工作情况的报告\n我区落实长沙市工作方案。\n长沙市岳麓区人民政府"
    region = resolve_region(
        body, title="关于2024年岳麓区法治政府建设工作情况的报告", signature=["长沙市岳麓区人民政府"]
    )
    assert region == Region("湖南省", "长沙市", "岳麓区")


def test_a_municipality_district():
    body = "天津市静海区2024年法治政府建设年度报告\n2024年,我区坚持依法行政,静海区法治建设取得成效。"
    assert resolve_region(body, title="天津市静海区2024年法治政府建设年度报告") == Region("天津市", None, "静海区")


def test_a_short_province_name_resolves_to_the_full_name():
    assert resolve_region("2024年,宁夏坚持依法行政,全区法治建设取得成效。我区…") == Region("宁夏回族自治区")


def test_same_named_district_is_told_apart_by_its_parent():
    body = "2024年,朝阳区坚持依法行政。落实北京市部署。我区推进法治建设。"
    assert resolve_region(body) == Region("北京市", None, "朝阳区")
    body = "2024年,朝阳区坚持依法行政。落实长春市部署。我区推进法治建设。"
    assert resolve_region(body) == Region("吉林省", "长春市", "朝阳区")


def test_same_named_district_without_a_parent_stays_at_the_level_the_text_supports():
    assert resolve_region("2024年,朝阳区坚持依法行政。我区推进法治建设。") == Region(None, None, "朝阳区")


def test_county_names_that_are_also_words_do_not_count_alone():
    # 共和 (共和县) in 中华人民共和国, 和县 in "市政府和县委": neither is a place here.
    body = "曲沃县认真落实《中华人民共和国行政复议法》,向市政府和县委报告。"
    assert resolve_region(body) == Region("山西省", "临汾市", "曲沃县")


def test_no_place_named():
    assert resolve_region("我市坚持依法行政。") == Region()


# --- the divisions of the report's year ---------------------------------------------------------------------


def test_a_renamed_county_is_known_by_its_name_in_each_year():
    assert [p.name for p in places_named("长治县", 2017)] == ["长治县"]
    assert places_named("长治县", 2019) == ()  # 上党区 since 2018; 长治 alone is still 长治市
    assert [p.name for p in places_named("上党区", 2019)] == ["上党区"]
    assert places_named("上党区", 2016) == ()


@pytest.mark.parametrize(
    ("year", "title", "region", "code"),
    [
        (2017, "长治县2017年法治政府建设年度报告", Region("山西省", "长治市", "长治县"), "140421"),
        (2019, "上党区2019年法治政府建设年度报告", Region("山西省", "长治市", "上党区"), "140404"),
        (2017, "宜宾县2017年法治政府建设年度报告", Region("四川省", "宜宾市", "宜宾县"), "511521"),
        (2019, "叙州区2019年法治政府建设年度报告", Region("四川省", "宜宾市", "叙州区"), "511504"),
        (2017, "莱芜市2017年法治政府建设年度报告", Region("山东省", "莱芜市"), "371200"),
        (2020, "莱芜区2020年法治政府建设年度报告", Region("山东省", "济南市", "莱芜区"), "370116"),
    ],
)
def test_renamed_and_moved_units_resolve_in_their_year_with_that_years_code(year, title, region, code):
    found = resolve_region(title + "\n坚持依法行政。", title=title, year=year)
    assert found == region and found.code == code


def test_a_government_keeps_its_division_id_across_a_rename():
    before = resolve_region("长治县坚持依法行政。", title="长治县2017年法治政府建设年度报告", year=2017)
    after = resolve_region("上党区坚持依法行政。", title="上党区2019年法治政府建设年度报告", year=2019)
    assert before.division_id == after.division_id == "140404" and before.code != after.code


def test_a_county_read_against_the_wrong_year_is_not_misplaced_on_its_city():
    # Read against the latest divisions (no year), 长治县 no longer exists: its name must not make the
    # report 长治市's; read against 2017 it is the county.
    assert (
        resolve_region("长治县坚持依法行政。", title="长治县2017年法治政府建设年度报告", year=2017).county == "长治县"
    )


def test_regions_compare_by_name_and_carry_their_codes_in_the_api():
    coded = Region("山西省", "长治市", code="140400", division_id="140400")
    assert coded == Region("山西省", "长治市") and hash(coded) == hash(Region("山西省", "长治市"))
    assert coded.to_dict() == {"province": "山西省", "prefecture": "长治市", "county": None, "code": "140400",
                               "division_id": "140400"}  # fmt: skip
    assert Region(**{"province": "山西省", "prefecture": None, "county": None}).code is None  # an old index


def _scan_every_position(text: str, year: int | None = None) -> list[tuple[int, int, str]]:
    """find_place_mentions as first written: a lookup at every character, longest name first."""
    from indexer.gazetteer import _name_lengths, _names, gazetteer_year

    names, lengths = _names(gazetteer_year(year)), _name_lengths(gazetteer_year(year))
    found, i = [], 0
    while i < len(text):
        for size in lengths.get(text[i], ()):
            if i + size <= len(text) and text[i : i + size] in names:
                found.append((i, i + size, text[i : i + size]))
                i += size
                break
        else:
            i += 1
    return found


def test_place_mentions_are_those_a_lookup_at_every_character_finds(corpus_dir):
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt"))]
    texts += ["长治", "山西长治市长治县", "推进法治长治", "长", "", "北京市北京市朝阳区朝阳", "与雄安新区签订协议"]
    for text in texts:
        for year in (None, 2017):
            assert [(m.start, m.end, m.name) for m in find_place_mentions(text, year)] == _scan_every_position(
                text, year
            )
    assert len(find_place_mentions(texts[0])) > 5
