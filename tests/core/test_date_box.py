"""A date box (`<input type=date>`) shows its value only when the value is ISO: every form's date fields
render 2026-12-06 whatever the language (zh-hans's format is 2026/12/06, which a date box shows empty)."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import translation

from fupin.procedures.forms import AddHouseholdsForm, AppraisalForm, ObjectionForm
from fupin.reports.forms import SurveyForm

ROOT = Path(__file__).resolve().parents[2] / "fupin"
DAY = datetime.date(2026, 12, 6)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("form", "field"),
    [
        (AddHouseholdsForm, "applied_on"),
        (AppraisalForm, "held_on"),
        (ObjectionForm, "raised_on"),
        (SurveyForm, "surveyed_on"),
    ],
)
def test_a_date_field_renders_the_iso_value_a_date_box_reads(form, field, language):
    with translation.override(language):
        html = str(form(initial={field: DAY})[field])
    assert 'type="date"' in html and 'value="2026-12-06"' in html, html


def test_every_date_box_is_the_shared_one():
    """A form building its own DateInput is how four of them came to render the language's format."""
    own = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in ROOT.rglob("*.py")
        if path.name != "forms.py" or path.parent.name != "core"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bDateInput\(", line)
    ]
    assert own == []
