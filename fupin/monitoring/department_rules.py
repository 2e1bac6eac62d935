"""The rules a department's list raises findings by (matching.py writes them; rules.RULE_LABELS names them).

Apart from matching.py so that rules.py can read the labels: matching reads screening, which reads rules.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Department, Severity


@dataclass(frozen=True)
class DepartmentRule:
    key: str
    label: str
    severity: int
    # how the finding reads; {name} is the member (the list's own fields are kept as the evidence)
    detail: str
    on_list: bool = True  # False: fires for registry members *missing* from the list


DEPARTMENT_RULES: dict[str, list[DepartmentRule]] = {
    Department.BUSINESS: [
        DepartmentRule(
            "business_owner",
            _("成员登记有工商户或企业"),
            Severity.MEDIUM,
            "成员{name}在市场监管部门登记有工商户或企业",
        )
    ],
    Department.TAX: [
        DepartmentRule(
            "pays_income_tax",
            _("成员缴纳个人所得税"),
            Severity.HIGH,
            "成员{name}有个人所得税缴纳记录，收入可能高于登记",
        )
    ],
    Department.SOCIAL_INSURANCE: [
        DepartmentRule(
            "employee_insured",
            _("成员在外务工并缴纳职工社保"),
            Severity.MEDIUM,
            "成员{name}参加职工社会保险，有稳定工资收入",
        )
    ],
    Department.HOUSING: [
        DepartmentRule(
            "owns_commercial_housing",
            _("成员在省内购买商品房"),
            Severity.HIGH,
            "成员{name}在省内登记有商品房",
        )
    ],
    Department.VEHICLE: [
        DepartmentRule("owns_vehicle", _("成员名下有登记车辆"), Severity.HIGH, "成员{name}名下有登记车辆")
    ],
    Department.PUBLIC_EMPLOYEE: [
        DepartmentRule(
            "public_employee", _("成员为财政供养人员"), Severity.HIGH, "成员{name}为财政供养人员（公职人员）"
        )
    ],
    Department.DEATH: [
        DepartmentRule(
            "deceased_listed", _("成员已死亡仍在册"), Severity.HIGH, "成员{name}已死亡注销，仍在户内登记"
        )
    ],
    Department.SCHOOL: [
        DepartmentRule(
            "schooling_mismatch",
            _("学籍与在校生状况不符"),
            Severity.LOW,
            "成员{name}有在校学籍，登记为非在校生",
        ),
        DepartmentRule(
            "no_school_record",
            _("义务教育阶段学生无学籍"),
            Severity.HIGH,
            "成员{name}登记为义务教育阶段在校生，教育部门无其学籍，疑似失学辍学",
            on_list=False,
        ),
    ],
    Department.MEDICAL: [
        DepartmentRule(
            "insurance_mismatch",
            _("参保状态与登记不符"),
            Severity.LOW,
            "成员{name}医保部门显示已参保，登记为未参保",
        ),
        DepartmentRule(
            "not_insured",
            _("医保名单中无参保记录"),
            Severity.MEDIUM,
            "成员{name}登记为已参加基本医疗保险，医保部门无其参保记录",
            on_list=False,
        ),
    ],
    Department.DISABILITY: [
        DepartmentRule(
            "unregistered_disability",
            _("持证残疾未登记"),
            Severity.LOW,
            "成员{name}持有残疾证，户内未登记残疾",
        ),
        DepartmentRule(
            "disability_without_certificate",
            _("登记残疾但无残疾证"),
            Severity.MEDIUM,
            "成员{name}登记为残疾，残联无其残疾证记录",
            on_list=False,
        ),
    ],
}
