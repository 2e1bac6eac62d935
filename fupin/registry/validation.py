"""Rules a household or member must satisfy, shared by forms, the API and the import.

Each function takes plain values and returns a dict {field: Chinese message}; empty
means valid. The import runs the same functions row by row (or in batches), so a
record refused by a form is refused by the import for the same reason.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext

from fupin.core import idnumber

from . import codes

# A member's required fields, in the words the forms, the API and the field app's phone all show
NAME_REQUIRED = "姓名不能为空"
RELATION_REQUIRED = "请选择与户主关系"
SECOND_HEAD = "该户已有户主，每户只能有一名户主"
# A sex or birth date that disagrees with the ID number, as templates ({sex} is the sex's label)
SEX_MISMATCH = "性别与身份证号不符：身份证号显示为{sex}"
BIRTH_DATE_MISMATCH = "出生日期与身份证号不符：身份证号显示为 {date}"


def check_identity(
    *, id_number: str, sex: str | None = None, birth_date: datetime.date | None = None
) -> tuple[dict, idnumber.IdNumber | None]:
    """The ID number is valid and agrees with the sex and birth date entered (if any)."""
    try:
        parsed = idnumber.parse(id_number)
    except idnumber.IdNumberError as e:
        return {"id_number": str(e)}, None
    errors = {}
    if sex and sex != parsed.sex:
        errors["sex"] = SEX_MISMATCH.format(sex=codes.Sex(parsed.sex).label)
    if birth_date and birth_date != parsed.birth_date:
        errors["birth_date"] = BIRTH_DATE_MISMATCH.format(date=parsed.birth_date.isoformat())
    return errors, parsed


def check_member(
    *,
    relation: str,
    birth_date: datetime.date | None,
    schooling: str | None = None,
    work_months: int | None = None,
    disability_category: str = "",
    disability_level: str = "",
) -> dict:
    errors = {}
    if work_months is not None and not 0 <= work_months <= 12:
        errors["work_months"] = gettext("务工时间应在0到12个月之间")
    if bool(disability_category) != bool(disability_level):
        errors["disability_level"] = gettext("残疾类别与残疾等级须同时填写或同时为空")
    if birth_date and schooling in {codes.SchoolingStatus.PRIMARY, codes.SchoolingStatus.GRADE7}:
        age = idnumber.age_on(birth_date, timezone.localdate())
        if age < 5:
            errors["schooling"] = gettext("%(age)s岁不应为小学或初中在校生") % {"age": age}
    return errors


def check_household_members(relations: list[str]) -> dict:
    """A household has exactly one head."""
    heads = sum(1 for r in relations if r == codes.Relation.HEAD)
    if heads == 0:
        return {"relation": "每户须有一名户主"}
    if heads > 1:
        return {"relation": "每户只能有一名户主"}
    return {}


def check_household(
    *,
    status: str,
    household_type: str,
    primary_cause: str,
    registration_year: int | None,
    exit_year: int | None,
) -> dict:
    errors = {}
    # 贫困户属性 belongs to households registered as poor; a monitored household may never have been
    # (边缘易致贫户, 突发严重困难户), so it needs none.
    registered = status in {codes.HouseholdStatus.POOR, codes.HouseholdStatus.EXITED}
    if registered and not household_type:
        errors["household_type"] = gettext("已建档户须填写贫困户属性")
    if status == codes.HouseholdStatus.POOR and not primary_cause:
        errors["primary_cause"] = gettext("贫困户须填写主要致贫原因")
    if status == codes.HouseholdStatus.EXITED and not exit_year:
        errors["exit_year"] = gettext("已脱贫户须填写脱贫年度")
    if exit_year and registration_year and exit_year < registration_year:
        errors["exit_year"] = gettext("脱贫年度不能早于识别年度")
    this_year = timezone.localdate().year
    for field, year in (("registration_year", registration_year), ("exit_year", exit_year)):
        if year is not None and not 2000 <= year <= this_year + 1:
            errors[field] = gettext("年度应在2000到%(value)s之间") % {"value": this_year + 1}
    return errors
