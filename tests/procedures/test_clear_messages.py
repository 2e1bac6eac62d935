"""Issue 18, finding 3: the clerk meets no dead end: each figure is of the year its heading names, and a
refusal says who must act and where."""

import pytest
from django.urls import reverse

from fupin.procedures import selection
from fupin.procedures.services import ProcedureError
from tests import factories

from .conftest import YEAR, at, batch_in_survey


@pytest.fixture
def in_survey(users):
    return batch_in_survey(users["clerk"])


def test_the_survey_table_shows_the_surveys_year_and_says_where_to_enter_it(client, users, in_survey):
    client.force_login(users["clerk"])
    page = client.get(reverse("procedures:batch_detail", args=[in_survey.pk])).content.decode()
    cells = [c.split("</td>")[0] for c in page.split('data-testid="survey-income">')[1:]]
    assert cells[0] == "2000.00"  # 赵一's income of the survey's year
    assert (
        "未录入" in cells[1] and f"（最近：4100.00，非{YEAR}年）" in cells[1]
    )  # 钱二's is of the year before
    assert f"非{YEAR}年" in page and f"?year={YEAR}" in page and f"录入{YEAR}年收入" in page
    with pytest.raises(ProcedureError, match=f"请村扶贫专干在该户页面点“录入年收入”，录入{YEAR}年收入"):
        selection.complete_survey(in_survey, by=users["clerk"], now=at(2))


def test_a_missing_quota_says_who_sets_it_and_where(client, users, in_survey):
    in_survey.entries.filter(household__head_name="钱二").delete()
    with pytest.raises(ProcedureError, match="须由县扶贫办在“识别与退出 › 规模控制”"):
        selection.complete_survey(in_survey, by=users["clerk"], now=at(2))
    client.force_login(users["clerk"])
    page = client.get(reverse("procedures:batch_detail", args=[in_survey.pk])).content.decode()
    assert f"{reverse('procedures:quotas')}?year={YEAR}&amp;region={factories.VILLAGE}" in page
    quota_page = client.get(
        reverse("procedures:quotas"), {"year": YEAR, "region": factories.VILLAGE}
    ).content.decode()
    assert "请联系县扶贫办" in quota_page
