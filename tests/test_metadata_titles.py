"""Metadata from the many ways real reports name themselves (GitHub issue #4): short made-up reports."""

import pytest

from indexer.metadata import title_count, title_subject
from indexer.parsing import parse_report
from indexer.region import subject_places
from search.models import Region


def _report(*paragraphs: str):
    """A report of a title line, an opening sentence and a few body sentences, one paragraph each."""
    return parse_report("\n".join(paragraphs) + "\n")


def _metadata(*paragraphs: str):
    report = _report(*paragraphs)
    return report.region, report.year, report.issuer


# --- 市 + 区 compounds -----------------------------------------------------------------------------------


def test_chongqing_district_named_with_its_municipality():
    assert _metadata(
        "重庆市巴南区2023年法治政府建设情况报告",
        "2023年,巴南区坚持以习近平法治思想为指导,认真落实重庆市委、市政府部署,法治政府建设取得新成效。",
        "一、主要举措和成效",
        "我区全年办理行政复议案件120件。全区行政机关负责人出庭应诉率100%。",
    ) == (Region("重庆市", None, "巴南区"), 2023, None)


def test_shanghai_district_government_title():
    assert _metadata(
        "上海市嘉定区人民政府关于2023年法治政府建设工作情况的报告",
        "2023年,嘉定区全面贯彻落实上海市法治政府建设部署,各项工作取得积极成效。",
        "我区深化“放管服”改革,区政府常务会议会前学法12次。",
    ) == (Region("上海市", None, "嘉定区"), 2023, "上海市嘉定区人民政府")


# --- autonomous prefectures and counties, 地区, 新区 ------------------------------------------------------


def test_autonomous_prefecture_short_form():
    assert _metadata(
        "阿坝州2023年度法治政府建设工作报告",
        "2023年,阿坝州在四川省委、省政府的坚强领导下,深入推进依法行政。",
        "全州13个县(市)全部建成公共法律服务中心。马尔康市、阿坝县开展法治政府建设示范创建。",
    ) == (Region("四川省", "阿坝藏族羌族自治州", None), 2023, None)


def test_autonomous_prefecture_government_title():
    assert _metadata(
        "黔西南州人民政府关于2022年法治政府建设情况的报告",
        "2022年,全州坚持以习近平法治思想为指导,法治政府建设迈出新步伐。",
        "兴义市、兴仁市推行行政执法“三项制度”。我州行政复议案件办结率100%。",
    ) == (Region("贵州省", "黔西南布依族苗族自治州", None), 2022, "黔西南州人民政府")


def test_autonomous_county_short_form():
    assert _metadata(
        "镇宁自治县2023年法治政府建设年度报告",
        "2023年,在安顺市委、市政府的正确领导下,镇宁自治县坚持依法行政。",
        "我县全年组织领导干部学法6次。全县行政执法案卷评查合格率100%。",
    ) == (Region("贵州省", "安顺市", "镇宁布依族苗族自治县"), 2023, None)


def test_prefecture_level_diqu_with_its_administrative_office():
    assert _metadata(
        "阿里地区行政公署关于2023年度法治政府建设情况的报告",
        "2023年,阿里地区坚决贯彻西藏自治区党委、政府决策部署,法治政府建设取得新进展。",
        "噶尔县、普兰县开展法治宣传进寺庙活动。全地区行政执法人员持证上岗。",
    ) == (Region("西藏自治区", "阿里地区", None), 2023, "阿里地区行政公署")


def test_daxinganling_diqu():
    assert _metadata(
        "大兴安岭地区2023年法治政府建设年度报告",
        "2023年,大兴安岭地区深入贯彻黑龙江省委部署,扎实推进法治政府建设。",
        "全区行政复议案件办结率100%。",
    ) == (Region("黑龙江省", "大兴安岭地区", None), 2023, None)


def test_new_area_that_is_a_district():
    assert _metadata(
        "浦东新区2023年法治政府建设情况报告",
        "2023年,浦东新区坚持以习近平法治思想为指导,推进浦东高水平改革开放。",
        "我区制定浦东新区法规配套文件12件。",
    ) == (Region("上海市", None, "浦东新区"), 2023, None)


def test_functional_zone_in_the_gazetteer():
    assert _metadata(
        "重庆两江新区2023年法治政府建设工作报告",
        "2023年,两江新区在重庆市委、市政府的坚强领导下,推进法治政府建设。",
        "新区全年办理行政复议案件20件。",
    ) == (Region("重庆市", None, "两江新区"), 2023, None)


def test_functional_zone_missing_from_the_gazetteer_keeps_the_level_the_text_supports():
    region, year, issuer = _metadata(
        "贵安新区管委会关于2023年度法治政府建设情况的报告",
        "2023年,贵安新区在贵州省委、省政府的坚强领导下,深入推进依法行政。",
        "新区与贵阳市、安顺市建立行政执法协作机制。我区法治政府建设取得新成效。",
    )
    assert (region, year, issuer) == (Region("贵州省"), 2023, "贵安新区管委会")


def test_xiongan_is_not_read_as_anxin_county():
    # 雄安新区 is not in the gazetteer, and 安新 inside it is 安新县's short name.
    region, year, _ = _metadata(
        "雄安新区2023年法治政府建设工作报告",
        "2023年,雄安新区坚决贯彻河北省委、省政府决策部署,推进法治政府建设。",
        "我区在容城县、安新县开展法治宣传。",
    )
    assert (region, year) == (Region("河北省"), 2023)


# --- provinces and municipalities -----------------------------------------------------------------------


def test_province_government_report():
    assert _metadata(
        "广东省人民政府关于2021年度法治政府建设情况的报告",
        "2021年,我省坚持以习近平新时代中国特色社会主义思想为指导,全面推进依法治省。",
        "广州市、深圳市率先开展法治政府建设示范创建。深圳市前海合作区推进涉外法治建设。全省行政复议案件增长12%。",
        "广东省人民政府",
        "2022年3月30日",
    ) == (Region("广东省"), 2021, "广东省人民政府")


def test_province_government_report_without_signature_takes_the_issuer_from_the_title():
    report = _report(
        "广东省人民政府关于2021年度法治政府建设情况的报告",
        "2021年,全省法治政府建设取得新成效。",
        "广州市、深圳市、珠海市推行包容审慎监管。",
    )
    assert (report.region, report.year, report.issuer) == (Region("广东省"), 2021, "广东省人民政府")


def test_municipality_own_report():
    assert _metadata(
        "北京市人民政府关于2023年度法治政府建设情况的报告",
        "2023年,北京市坚持以习近平法治思想为指导,全面推进法治政府建设。",
        "朝阳区、海淀区开展行政执法协调监督试点。海淀区推行“一网通办”。我市行政复议案件办结率98%。",
    ) == (Region("北京市"), 2023, "北京市人民政府")


def test_municipality_title_without_an_issuer():
    assert _metadata(
        "重庆市2023年法治政府建设年度报告",
        "2023年,我市深入贯彻习近平法治思想,法治政府建设取得新成效。",
        "巴南区、渝中区、两江新区推进行政执法“三项制度”。巴南区建成法治文化公园。",
    ) == (Region("重庆市"), 2023, None)


# --- department reports ---------------------------------------------------------------------------------


def test_city_bureau_report():
    assert _metadata(
        "广州市司法局关于2024年度法治政府建设情况的报告",
        "2024年,市司法局在市委、市政府的坚强领导下,深入推进法治政府建设。",
        "我局指导天河区、越秀区开展法治政府建设示范创建。全市行政复议案件办结率99%。",
    ) == (Region("广东省", "广州市", None), 2024, "广州市司法局")


def test_county_bureau_report():
    assert _metadata(
        "灵武市自然资源局2024年度法治政府建设工作报告",
        "2024年,灵武市自然资源局坚持以习近平法治思想为指导,依法履行自然资源管理职责。",
        "我局在全区率先推行“多测合一”。全年办理行政许可120件。",
    ) == (Region("宁夏回族自治区", "银川市", "灵武市"), 2024, "灵武市自然资源局")


def test_a_bureau_whose_name_holds_a_county_short_name():
    # 公安 is 公安县's short name; in 长治市公安局 it is the bureau.
    assert _metadata(
        "长治市公安局关于2023年度法治政府建设情况的报告",
        "2023年,市公安局坚持严格规范公正文明执法。",
        "全市公安机关受理行政案件1.2万起。",
    ) == (Region("山西省", "长治市", None), 2023, "长治市公安局")


def test_party_committee_and_government_title_gives_the_government():
    assert _metadata(
        "中共南昌县委员会 南昌县人民政府关于2023年法治政府建设情况的报告",
        "2023年,南昌县坚持以习近平法治思想为指导,法治政府建设取得新成效。",
        "我县全年组织学法8次。",
    ) == (Region("江西省", "南昌市", "南昌县"), 2023, "南昌县人民政府")


def test_a_signature_overrides_the_title_issuer():
    _, _, issuer = _metadata(
        "南昌县人民政府关于2023年法治政府建设情况的报告",
        "2023年,南昌县坚持依法行政。",
        "我县全年组织学法8次。",
        "南昌县司法局",
        "2024年3月1日",
    )
    assert issuer == "南昌县司法局"


def test_issuer_lines_above_the_title_line():
    report = _report(
        "中共广州市天河区委员会",
        "广州市天河区人民政府",
        "关于2023年法治政府建设情况的报告",
        "2023年,天河区坚持依法行政。",
        "我区全年组织学法10次。",
    )
    assert report.title == "中共广州市天河区委员会 广州市天河区人民政府关于2023年法治政府建设情况的报告"
    assert (report.region, report.year, report.issuer) == (
        Region("广东省", "广州市", "天河区"),
        2023,
        "广州市天河区人民政府",
    )
    assert [p.section for p in report.passages[:3]] == ["概述"] * 3


@pytest.mark.parametrize(
    ("paragraphs", "count"),
    [
        (["曲沃县2024年法治政府建设年度报告", "2024年,曲沃县坚持依法行政。"], 1),
        (["广州市司法局", "关于2024年度法治政府建设情况的报告", "2024年,市司法局…"], 2),
        (["2024年,我市坚持依法行政。", "一、主要举措和成效"], 0),
        # A signature-like first line not followed by a 关于… line is not part of a title.
        (["某县司法局", "2024年,我局坚持依法行政。"], 0),
        ([], 0),
    ],
)
def test_title_count(paragraphs, count):
    assert title_count(paragraphs) == count


# --- years ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("opening", ["2023年以来,全州坚持依法行政。", "2023年,全州坚持依法行政。"])
def test_title_without_a_year_takes_the_opening_sentences(opening):
    report = _report("黔西南州法治政府建设年度报告", opening, "全州组织学法6次。2024年将继续推进。")
    assert report.year == 2023


def test_document_names_citing_other_years_do_not_set_the_year():
    report = _report(
        "南昌县法治政府建设年度报告",
        "根据《南昌市2022年度法治政府建设工作要点》和《关于报送2022年度法治政府建设情况报告的通知》要求,"
        "现将我县2023年法治政府建设情况报告如下。",
        "我县落实《南昌县2022年度法治政府建设年度报告》提出的整改措施。",
    )
    assert report.year == 2023


def test_a_cited_report_in_the_body_does_not_set_the_year():
    report = _report(
        "关于2023年度法治政府建设情况的报告",
        "我县认真落实《2022年度法治政府建设年度报告》提出的任务。",
        "2022年度反馈问题全部整改。",
    )
    assert report.year == 2023


def test_nian_du_form():
    assert _report("某县2021年度法治政府建设情况报告", "一年来,我县坚持依法行政。").year == 2021


@pytest.mark.parametrize(
    ("title", "opening"),
    [
        ("南昌县二〇二三年度法治政府建设情况报告", "我县坚持依法行政。"),
        ("南昌县法治政府建设年度报告", "二〇二三年,我县坚持依法行政。"),
        ("南昌县法治政府建设年度报告", "二Ｏ二三年,我县坚持依法行政。"),
    ],
)
def test_chinese_numeral_years(title, opening):
    assert _report(title, opening).year == 2023


# --- same-named places ----------------------------------------------------------------------------------


def test_nanchang_county_is_not_the_city():
    assert _report(
        "南昌县2023年法治政府建设年度报告",
        "2023年,在南昌市委、市政府的坚强领导下,我县坚持依法行政。",
        "南昌市司法局到我县调研。全县办理行政复议案件30件。",
    ).region == Region("江西省", "南昌市", "南昌县")


def test_nanchang_city_is_not_the_county():
    assert _report(
        "南昌市2023年法治政府建设年度报告",
        "2023年,我市坚持依法行政,法治南昌建设取得新成效。",
        "南昌县、进贤县开展示范创建。南昌县建成法治文化公园。",
    ).region == Region("江西省", "南昌市", None)


@pytest.mark.parametrize(
    ("body", "region"),
    [
        ("我区落实深圳市委部署。", Region("广东省", "深圳市", "龙华区")),
        ("我区落实海口市委部署,推进海南自由贸易港法治建设。", Region("海南省", "海口市", "龙华区")),
        # Nothing tells the two apart: the region stops at what both agree on (see indexer.region).
        ("我区全年办理行政复议案件20件。", Region(None, None, "龙华区")),
    ],
)
def test_same_named_districts_are_told_apart_by_the_text_or_left_undecided(body, region):
    report = _report("龙华区2023年法治政府建设年度报告", "2023年,龙华区坚持依法行政。", body)
    assert report.region == region


# --- the title parser itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "subject"),
    [
        ("广州市司法局关于2024年度法治政府建设情况的报告", ("广州市司法局",)),
        ("关于2024年岳麓区法治政府建设工作情况的报告", ("岳麓区",)),
        ("曲沃县2024年法治政府建设年度报告", ("曲沃县",)),
        ("中共某县委员会 某县人民政府关于2023年法治政府建设情况的报告", ("中共某县委员会", "某县人民政府")),
        ("中共某县委员会某县人民政府关于2023年法治政府建设情况的报告", ("中共某县委员会", "某县人民政府")),
        ("某县全面依法治县委员会办公室关于2023年法治政府建设情况的报告", ("某县全面依法治县委员会办公室",)),
        ("灵武市自然资源局(灵武市林业局)2024年度法治政府建设工作报告", ("灵武市自然资源局",)),
        ("关于2023年度法治政府建设情况的报告", ()),
        (None, ()),
    ],
)
def test_title_subject(title, subject):
    assert title_subject(title) == subject


@pytest.mark.parametrize(
    ("subject", "names"),
    [
        (("重庆市巴南区人民政府",), ["巴南区"]),
        (("中共南昌县委员会", "南昌县人民政府"), ["南昌县"]),
        (("山西省", "长治市"), ["长治市"]),
        (("长治市公安局",), ["长治市"]),
        (("雄安新区",), ["河北省"]),  # a functional zone gives the division it lies in
        (("推进",), []),
    ],
)
def test_subject_places(subject, names):
    assert [p.name for p in subject_places(subject)] == names
