"""Recording the satisfaction survey (群众认可度调查): one answer per household and year, audited."""

from django.db import transaction
from django.utils.translation import gettext

from fupin.accounts.scope import ScopeError, household_filter
from fupin.audit.services import record
from fupin.registry.models import Household

from .models import SatisfactionSurvey


class SurveyError(Exception):
    """The answer cannot be recorded (unknown household, outside the user's scope)."""


def household_by_number(user, number: str) -> Household:
    scope = household_filter(user)
    household = Household.objects.filter(scope, number=number.strip()).first() if scope is not None else None
    if household is None:
        raise SurveyError(gettext("没有找到该户编号，或该户不在您的管辖范围内"))
    return household


@transaction.atomic
def record_answer(
    *, by, number: str, year: int, answer: str, respondent: str, surveyed_on, note: str = ""
) -> SatisfactionSurvey:
    if not by.can_edit_registry:
        raise ScopeError(gettext("您的角色只能查看，不能录入调查结果"))
    household = household_by_number(by, number)
    survey, created = SatisfactionSurvey.objects.update_or_create(
        household=household,
        year=year,
        defaults={
            "village_code": household.village_id,
            "answer": answer,
            "respondent": respondent.strip(),
            "surveyed_on": surveyed_on,
            "note": note.strip(),
            "recorded_by": by,
        },
    )
    record(
        by=by,
        action="create" if created else "update",
        target=survey,
        household=household,
        scope_code=household.village_id,
        changes={"year": year, "answer": answer, "respondent": respondent.strip()},
    )
    return survey
