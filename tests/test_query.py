"""The query language."""

from search.query import Clause, parse_query


def lits(q):
    return [(c.literals, c.negated) for c in parse_query(q).clauses]


def test_terms_are_all_required():
    assert lits("枫桥经验 法治") == [(("枫桥经验",), False), (("法治",), False)]


def test_quoted_phrase_is_one_literal_without_spaces():
    assert lits('"首违 不罚" 法治') == [(("首违不罚",), False), (("法治",), False)]


def test_or_joins_neighbours():
    assert lits("枫桥经验 OR 首违不罚 OR 轻微免罚 法治") == [
        (("枫桥经验", "首违不罚", "轻微免罚"), False),
        (("法治",), False),
    ]


def test_lower_case_or_is_a_term():
    assert lits("a or b") == [(("a",), False), (("or",), False), (("b",), False)]


def test_minus_excludes():
    assert lits('法治 -信访 -"行政 复议"') == [(("法治",), False), (("信访",), True), (("行政复议",), True)]


def test_stray_or_and_lone_minus():
    assert lits("OR 法治 OR") == [(("法治",), False)]
    assert lits("- 法治") == [(("-",), False), (("法治",), False)]


def test_terms_are_folded():
    assert lits("楓橋經驗 ＡＢＣ") == [(("枫桥经验",), False), (("abc",), False)]


def test_unbalanced_quote_runs_to_the_end():
    assert lits('"法治 政府') == [(("法治政府",), False)]


def test_empty_and_blank_queries():
    assert parse_query("").is_empty
    assert parse_query('   ""  ').is_empty


def test_highlight_literals_exclude_negated_and_put_longest_first():
    parsed = parse_query("法治 法治政府 -信访")
    assert parsed.highlight_literals() == ("法治政府", "法治")
    assert parsed.positive == (Clause(("法治",)), Clause(("法治政府",)))
