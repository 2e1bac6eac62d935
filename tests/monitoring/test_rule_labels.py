"""Every rule a finding can carry is named by a label, in Chinese and in English: the department cross-checks'
findings showed their rule key (owns_vehicle) because their rules never reached rules.RULE_LABELS."""

import re

import pytest
from django.utils import translation

from fupin.monitoring import pushed
from fupin.monitoring.matching import DEPARTMENT_RULES
from fupin.monitoring.models import Finding
from fupin.monitoring.rules import RULE_LABELS, SUSPECT_RULES

CJK = re.compile(r"[\u4e00-\u9fff]")
CARRIED = sorted(
    {r.key for r in SUSPECT_RULES}
    | {r.key for rules in DEPARTMENT_RULES.values() for r in rules}
    | {pushed.UNRESOLVED_RULE}
)


@pytest.mark.parametrize("rule", CARRIED)
def test_every_rule_a_finding_can_carry_has_a_chinese_and_an_english_label(rule):
    assert rule in RULE_LABELS
    with translation.override("zh-hans"):
        chinese = Finding(rule=rule).rule_label
    with translation.override("en"):
        english = Finding(rule=rule).rule_label
    assert chinese != rule and CJK.search(chinese)
    assert english != rule and english != chinese and not CJK.search(english)


def test_a_cross_checks_finding_shows_its_label_not_its_key():
    with translation.override("zh-hans"):
        assert Finding(rule="owns_vehicle").rule_label == "成员名下有登记车辆"
    with translation.override("en"):
        assert "owns_vehicle" not in Finding(rule="owns_vehicle").rule_label
