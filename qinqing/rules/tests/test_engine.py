import pytest

from qinqing.rules.engine import APPROVE, FAIL, PASS, REFER, UNKNOWN, RuleError, evaluate, parse_rule_set

CONDITIONS = [
    {"key": "active", "label": "企业存续", "failure": "企业不是存续状态", "facts": ["registry.status"],
     "expr": {"in": [{"var": "registry.status"}, ["存续", "在业"]]}},
    {"key": "capital", "label": "注册资本不少于100万元", "failure": "注册资本不足 100 万元",
     "facts": ["registry.registered_capital"], "expr": {">=": [{"var": "registry.registered_capital"}, 1000000]}},
    {"key": "area", "label": "经营面积不超过500平方米", "failure": "经营面积超过500平方米", "facts": ["form.area"],
     "expr": {"<=": [{"var": "form.area"}, 500]}},
]


def test_all_conditions_pass_approves():
    spec = parse_rule_set(CONDITIONS)
    verdict = evaluate(spec, {"registry": {"status": "存续", "registered_capital": 2_000_000}, "form": {"area": 120}})
    assert verdict.outcome == APPROVE
    assert [c.outcome for c in verdict.trace] == [PASS, PASS, PASS]
    assert verdict.reasons == []


def test_one_failing_condition_refers_with_its_message_value_and_threshold():
    spec = parse_rule_set(CONDITIONS)
    verdict = evaluate(spec, {"registry": {"status": "存续", "registered_capital": 500_000}, "form": {"area": 120}})
    assert verdict.outcome == REFER
    assert verdict.reasons == ["注册资本不足 100 万元"]
    capital = verdict.trace[1]
    assert capital.outcome == FAIL
    assert capital.actual == {"registry.registered_capital": 500_000}
    assert capital.threshold == ">= 1000000"


def test_a_missing_fact_is_unknown_and_never_approves():
    spec = parse_rule_set(CONDITIONS)
    verdict = evaluate(spec, {"registry": {"status": "存续"}, "form": {"area": 120}})
    assert verdict.outcome == REFER
    assert verdict.trace[1].outcome == UNKNOWN
    assert "无法核验" in verdict.reasons[0]


@pytest.mark.parametrize(
    "expr",
    [
        {"eval": ["1+1"]},
        {"method": [{"var": "x"}, "upper"]},
        {"==": [1, 1], "!=": [1, 2]},
        {"==": [{"var": "x"}, {"set": 1}]},
    ],
)
def test_operators_outside_the_whitelist_are_refused(expr):
    with pytest.raises(RuleError):
        parse_rule_set([{"key": "k", "label": "l", "failure": "f", "facts": ["x"], "expr": expr}])


def test_a_condition_reading_an_undeclared_fact_is_refused():
    with pytest.raises(RuleError):
        parse_rule_set([{"key": "k", "label": "l", "failure": "f", "facts": [],
                         "expr": {"==": [{"var": "registry.status"}, "存续"]}}])


def test_unknown_fact_names_are_refused_when_the_allowed_set_is_given():
    with pytest.raises(RuleError):
        parse_rule_set(CONDITIONS, allowed_facts={"registry.status", "registry.registered_capital"})


@pytest.mark.parametrize(
    ("rule", "data", "expected"),
    [
        ({"==": [1, 1]}, {}, True),
        ({"==": [1, "1"]}, {}, True),  # JSONLogic == coerces
        ({"===": [1, "1"]}, {}, False),
        ({"!!": [[]]}, {}, False),
        ({"!!": ["0"]}, {}, True),
        ({"and": [True, "a", 3]}, {}, 3),
        ({"or": [False, 0, "a"]}, {}, "a"),
        ({"if": [{"<": [{"var": "a"}, 0]}, "neg", "pos"]}, {"a": -1}, "neg"),
        ({"in": ["Spring", "Springfield"]}, {}, True),
        ({"<": [1, {"var": "x"}, 3]}, {"x": 2}, True),
        ({"max": [1, 2, 3]}, {}, 3),
        ({"var": ["missing", "default"]}, {}, "default"),
    ],
)
def test_evaluator_follows_documented_jsonlogic_semantics(rule, data, expected):
    import datalogic_py

    assert datalogic_py.apply(rule, data) == expected
