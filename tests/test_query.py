"""The query language: operators in the forms people type, grouping, proximity, notes, errors and limits."""

import pytest

from search.query import (
    MAX_NEGATIONS,
    MAX_OR_BRANCHES,
    MAX_PROXIMITY,
    MAX_TERMS,
    And,
    Near,
    Not,
    Or,
    QueryError,
    Term,
    near_occurrences,
    parse_query,
)


def tree(q):
    return parse_query(q).root


def notes(q):
    return parse_query(q).notes


A, B, C = Term("枫桥经验"), Term("首违不罚"), Term("执法")


# --- today's forms keep their meaning ---------------------------------------------------------------------


def test_terms_are_all_required():
    assert tree("枫桥经验 法治") == And((A, Term("法治")))


def test_quoted_phrase_is_one_literal_without_spaces():
    assert tree('"首违 不罚" 法治') == And((B, Term("法治")))


def test_or_joins_neighbours_and_binds_looser_than_and():
    assert tree("枫桥经验 OR 首违不罚 OR 轻微免罚 法治") == Or((A, B, And((Term("轻微免罚"), Term("法治")))))


def test_minus_excludes():
    assert tree('法治 -信访 -"行政 复议"') == And((Term("法治"), Not(Term("信访")), Not(Term("行政复议"))))


def test_terms_are_folded():
    assert tree("楓橋經驗 ＡＢＣ") == And((A, Term("abc")))


def test_unbalanced_quote_runs_to_the_end_with_a_note():
    parsed = parse_query('"法治 政府')
    assert parsed.root == Term("法治政府")
    assert any("引号" in n for n in parsed.notes)


def test_empty_and_blank_queries():
    assert parse_query("").is_empty
    assert parse_query('   ""  ').is_empty


def test_highlight_literals_exclude_negated_and_put_longest_first():
    parsed = parse_query("法治 法治政府 -信访")
    assert parsed.highlight_literals() == ("法治政府", "法治")
    assert parse_query("首违不罚 OR -执法").highlight_literals() == ("首违不罚",)
    assert parse_query("-(执法 OR 信访) 法治").highlight_literals() == ("法治",)


# --- operators in the forms people type -------------------------------------------------------------------


@pytest.mark.parametrize(
    "q", ["枫桥经验 OR 首违不罚", "枫桥经验 ＯＲ 首违不罚", "枫桥经验 or 首违不罚", "枫桥经验|首违不罚"]
)
def test_or_forms(q):
    assert tree(q) == Or((A, B))


@pytest.mark.parametrize(
    "q", ["枫桥经验 首违不罚", "枫桥经验 AND 首违不罚", "枫桥经验 and 首违不罚", "枫桥经验 & 首违不罚"]
)
def test_and_forms(q):
    assert tree(q) == And((A, B))


def test_plus_is_and_only_as_a_word_of_its_own():
    assert tree("枫桥经验 + 首违不罚") == And((A, B))
    assert tree("互联网+政务服务") == Term("互联网+政务服务")  # text in the reports


@pytest.mark.parametrize("q", ["法治 -执法", "法治 －执法"])
def test_full_width_minus_excludes(q):
    assert tree(q) == And((Term("法治"), Not(C)))


def test_parentheses_group():
    assert tree("(首违不罚 OR 枫桥经验) 执法") == And((Or((B, A)), C))
    assert tree("执法 -(首违不罚 OR 枫桥经验)") == And((C, Not(Or((B, A)))))


def test_parentheses_group_only_around_a_space_or_an_operator():
    assert tree("(首违不罚|枫桥经验)执法") == And((Or((B, A)), C))
    assert tree("(一)加强") == Term("(一)加强")  # text: the reports number items so, in both widths
    assert tree("纲要(2021-2025年)") == Term("纲要(2021-2025年)")
    assert tree("-(试行)") == Not(Term("(试行)"))


def test_full_width_parentheses_group_only_around_a_space_or_an_operator():
    assert tree("（首违不罚 OR 枫桥经验）执法") == And((Or((B, A)), C))
    assert tree("（首违不罚|枫桥经验）执法") == And((Or((B, A)), C))
    assert tree("办法（试行）") == Term("办法(试行)")  # text, as in the reports
    assert tree("（一）加强") == Term("(一)加强")
    assert tree("－（首违不罚 枫桥经验）") == Not(And((B, A)))


def test_chinese_quotation_marks_delimit_phrases():
    assert tree("“首违 不罚” 法治") == And((B, Term("法治")))
    assert tree("「首违 不罚」 OR 枫桥经验") == Or((B, A))
    assert tree("-“首违 不罚” 法治") == And((Not(B), Term("法治")))


def test_quotes_inside_a_word_are_text():
    assert tree("践行“枫桥经验”") == Term('践行"枫桥经验"')  # curly quotes fold to straight ones


def test_or_with_a_negated_side_means_what_it_says():
    assert tree("首违不罚 OR -执法") == Or((B, Not(C)))
    assert tree("-执法") == Not(C)


def test_repeated_literals_are_one():
    assert tree("的 " * 250) == Term("的")
    assert tree("法治 OR 法治 法治") == Term("法治")
    assert tree("-执法 -执法 法治") == And((Not(C), Term("法治")))


# --- operators read as text, with a note ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "root", "named"),
    [
        ("法治 OR", And((Term("法治"), Term("or"))), "OR"),
        ("OR 法治", And((Term("or"), Term("法治"))), "OR"),
        ("法治 -", And((Term("法治"), Term("-"))), "-"),
        ("(法治 OR 政府", Or((Term("(法治"), Term("政府"))), "("),
        ("法治 NEAR/x 政府", And((Term("法治"), Term("near/x"), Term("政府"))), "NEAR/x"),
        ("法治 AND", And((Term("法治"), Term("and"))), "AND"),
        (
            "(法治 OR 行政) NEAR/5 -政府",
            And((Or((Term("法治"), Term("行政"))), Term("near/5"), Not(Term("政府")))),
            "NEAR/5",
        ),
    ],
)
def test_operator_read_as_text_is_named_in_a_note(q, root, named):
    parsed = parse_query(q)
    assert parsed.root == root
    assert any(named in n for n in parsed.notes), parsed.notes


def test_well_formed_queries_have_no_notes():
    for q in ["(首违不罚 OR 枫桥经验) 执法", "枫桥经验 NEAR/10 调解", "办法（试行）", "首违不罚 OR -执法"]:
        assert notes(q) == ()


@pytest.mark.parametrize("q", ["OR", "-", "()", "AND", "- OR -", "NEAR/5", "( OR )", "|", "ＯＲ －"])
def test_a_query_of_operators_only_is_an_error(q):
    with pytest.raises(QueryError, match="only operators"):
        parse_query(q)


# --- proximity --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q", ["枫桥经验 NEAR/10 调解", "枫桥经验 near/10 调解", "枫桥经验 ＮＥＡＲ／１０ 调解", "枫桥经验 /NEAR 10 调解"]
)
def test_near_forms(q):
    assert tree(q) == Near("枫桥经验", "调解", 10)


@pytest.mark.parametrize("q", ["枫桥经验 /SEN 调解", "枫桥经验 同句 调解", "枫桥经验 /sen 调解"])
def test_same_sentence_forms(q):
    assert tree(q) == Near("枫桥经验", "调解", None)


def test_proximity_binds_tighter_than_and_and_or():
    assert tree("法治 枫桥经验 NEAR/5 调解 OR 信访") == Or(
        (And((Term("法治"), Near("枫桥经验", "调解", 5))), Term("信访"))
    )
    assert tree("-枫桥经验 NEAR/5 调解") == Not(Near("枫桥经验", "调解", 5))
    assert tree("a NEAR/2 b /SEN c") == And((Near("a", "b", 2), Near("b", "c", None)))


@pytest.mark.parametrize(
    ("text", "distance", "holds"),
    [
        ("枫桥经验调解", 0, True),  # adjacent: no character between
        ("枫桥经验促进调解", 2, True),  # two between: at the limit
        ("枫桥经验促进调解", 1, False),  # past it
        ("调解促进枫桥经验", 2, True),  # either order
        ("调解，促进枫桥经验", 2, False),  # punctuation counts as a character
        ("调解 促进枫桥经验", 2, True),  # spaces do not (folded text has none)
        ("枫桥经验", 5, False),
    ],
)
def test_near_distance_is_characters_between_the_two(text, distance, holds):
    from search.analysis import fold

    assert bool(near_occurrences(fold(text), Near("枫桥经验", "调解", distance))) is holds


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("枫桥经验化解矛盾，促进调解", True),  # a comma does not end a sentence
        ("枫桥经验化解矛盾。促进调解", False),
        ("枫桥经验！调解", False),
        ("枫桥经验？调解", False),
        ("枫桥经验；调解", False),  # so does a semicolon: the items of a list are joined by ；
        ("调解；枫桥经验在基层；调解", False),
        ("调解，枫桥经验", True),
    ],
)
def test_same_sentence_ends_at_sentence_marks(text, holds):
    from search.analysis import fold

    assert bool(near_occurrences(fold(text), Near("枫桥经验", "调解"))) is holds


def test_occurrences_of_a_pair_are_those_with_a_partner():
    parsed = parse_query("枫桥经验 NEAR/2 调解")
    folded = "枫桥经验促调解。后来调解了很久很久很久，又说枫桥经验"
    # 枫桥经验 at 0 and 调解 at 5 are partners; 调解 at 10 and 枫桥经验 at 22 are too far from any partner
    assert parsed.occurrences(folded) == [(0, 4), (5, 7)]
    assert parsed.count(folded) == 2


def test_occurrences_are_distinct_literal_and_start():
    parsed = parse_query("枫桥经验 OR 枫桥经验 NEAR/3 调解")
    folded = "枫桥经验和调解，枫桥经验"
    assert parsed.occurrences(folded) == [(0, 4), (5, 7), (8, 12)]  # 枫桥经验 at 0 counted once
    plain = parse_query("法治 法治政府")
    assert plain.count("法治政府建设法治") == len(plain.occurrences("法治政府建设法治")) == 3


def test_a_literal_near_itself_needs_another_occurrence():
    near = Near("调解", "调解", 3)
    assert near_occurrences("调解", near) == []
    assert near_occurrences("调解和调解", near) == [("调解", 0), ("调解", 3)]


def test_matches_evaluates_the_tree():
    parsed = parse_query("首违不罚 OR -执法")
    assert parsed.matches("推行首违不罚，规范执法")
    assert parsed.matches("化解矛盾")
    assert not parsed.matches("规范执法")


# --- limits -----------------------------------------------------------------------------------------------


def test_too_many_terms():
    parse_query(" ".join(f"词{i}" for i in range(MAX_TERMS)))
    with pytest.raises(QueryError, match=f"the limit is {MAX_TERMS}"):
        parse_query(" ".join(f"词{i}" for i in range(MAX_TERMS + 1)))


def test_too_many_negations():
    with pytest.raises(QueryError, match=f"excluded terms.*the limit is {MAX_NEGATIONS}"):
        parse_query("法治 " + " ".join(f"-词{i}" for i in range(MAX_NEGATIONS + 1)))


def test_too_many_proximity_operators():
    pairs = " ".join(f"甲{i} NEAR/3 乙{i}" for i in range(MAX_PROXIMITY + 1))
    with pytest.raises(QueryError, match=f"proximity.*the limit is {MAX_PROXIMITY}"):
        parse_query(pairs)


def test_too_many_or_branches_and_too_deep():
    pairs = [f"(词{i} 词{j})" for i in range(9) for j in range(i + 1, 9)]  # 36 alternatives of 9 terms
    with pytest.raises(QueryError, match=f"36 OR alternatives; the limit is {MAX_OR_BRANCHES}"):
        parse_query(" OR ".join(pairs))
    parse_query("((((法治 政府))))")
    with pytest.raises(QueryError, match="nested parentheses"):
        parse_query("(((((法治 政府)))))")


def test_a_distance_too_large():
    with pytest.raises(QueryError, match="NEAR/500"):
        parse_query("法治 NEAR/501 政府")
