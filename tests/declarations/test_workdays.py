"""Working days over the 2026 Spring Festival and National Day, hand-worked from the State Council's notice
(国办发明电〔2025〕7号, carried by chinesecalendar 1.11): 春节
2月15日至23日放假，2月14日（周六）、2月28日（周六）上班；
中秋 9月25日至27日放假；国庆 10月1日至7日放假，9月20日（周日）、10月10日（周六）上班。"""

import datetime

import pytest

from fupin.core import workdays
from fupin.core.workdays import add_workdays, is_workday, workdays_between
from fupin.declarations.clock import limits_for, review_deadline, urgency

D = datetime.date


def test_spring_festival_2026_with_its_two_make_up_saturdays():
    assert is_workday(D(2026, 2, 14)) and is_workday(D(2026, 2, 28))  # Saturdays worked (调休)
    assert not any(is_workday(D(2026, 2, d)) for d in range(15, 24))  # 15th to 23rd off, Monday 16th included
    assert is_workday(D(2026, 2, 24))
    # Friday 13th + 2 working days: Saturday 14th (调休), then nothing until Tuesday 24th.
    assert add_workdays(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    # 15 working days from the eve: 14th (1), 24th-27th (5), 28th (6), March 2nd-6th (11), 9th-12th (15).
    assert add_workdays(D(2026, 2, 13), 15) == D(2026, 3, 12)
    assert workdays_between(D(2026, 2, 13), D(2026, 2, 28)) == 6


def test_national_day_2026_and_its_make_up_days():
    assert is_workday(D(2026, 9, 20))  # Sunday worked
    assert is_workday(D(2026, 10, 10))  # Saturday worked
    assert not any(is_workday(D(2026, 10, d)) for d in range(1, 8))
    assert not is_workday(D(2026, 9, 25))  # 中秋 (a Friday)
    assert add_workdays(D(2026, 9, 30), 2) == D(2026, 10, 9)
    assert add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert add_workdays(D(2026, 9, 30), 5) == D(2026, 10, 13)
    assert add_workdays(D(2026, 9, 24), 1) == D(2026, 9, 28)  # over 中秋 and a weekend


def test_a_year_the_package_does_not_know_is_counted_from_weekends_and_the_settings(settings):
    """2027's notice is not in chinesecalendar 1.11 (released before the notice): weekends count, and holidays
    entered by hand in FUPIN_EXTRA_HOLIDAYS / FUPIN_EXTRA_WORKDAYS are honoured until the package is
    upgraded."""
    assert not workdays.covered(2027) and workdays.covered(2026)
    assert is_workday(D(2027, 2, 8)) and not is_workday(D(2027, 2, 6))
    settings.FUPIN_EXTRA_HOLIDAYS = ["2027-02-08"]
    settings.FUPIN_EXTRA_WORKDAYS = ["2027-02-06"]
    assert not is_workday(D(2027, 2, 8)) and is_workday(D(2027, 2, 6))
    assert add_workdays(D(2027, 2, 5), 2) == D(2027, 2, 9)


def test_limits_are_per_province_longest_prefix_first(settings):
    settings.FUPIN_DECLARATION_DEADLINES = {
        "": {"verify": 2, "review": 5, "total": 15},
        "36": {"total": 20},
        "360722": {"verify": 1},
    }
    assert limits_for("360722100001") == {"verify": 1, "review": 5, "total": 15}
    assert limits_for("360723100001") == {"verify": 2, "review": 5, "total": 20}
    assert limits_for("110101001001") == {"verify": 2, "review": 5, "total": 15}


def test_review_deadline_never_passes_the_whole_procedure():
    assert review_deadline("360722100001", D(2026, 3, 2), D(2026, 3, 4)) == D(2026, 3, 4)
    assert review_deadline("360722100001", D(2026, 3, 2), D(2026, 3, 31)) == D(2026, 3, 9)


@pytest.mark.parametrize(
    "due, today, expected",
    [
        (D(2026, 2, 24), D(2026, 2, 25), "red"),
        (D(2026, 2, 24), D(2026, 2, 24), "orange"),
        (
            D(2026, 2, 24),
            D(2026, 2, 14),
            "orange",
        ),  # the next working day after the make-up Saturday is the 24th
        (D(2026, 2, 25), D(2026, 2, 14), ""),
        (D(2026, 3, 2), D(2026, 2, 27), ""),  # Saturday 28th is worked: Monday is two working days off
        (None, D(2026, 2, 25), ""),
    ],
)
def test_urgency_orange_within_a_working_day_red_once_passed(due, today, expected):
    assert urgency(due, today) == expected


@pytest.mark.django_db
def test_staff_pages_say_when_the_coming_years_holidays_are_not_known(client, users, settings, monkeypatch):
    from django.urls import reverse

    monkeypatch.setattr(workdays, "covered", lambda year: year <= 2026)
    client.force_login(users["clerk"])
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: datetime.date(2026, 12, 6))
    page = client.get(reverse("declarations:list")).content.decode()
    assert "2027年的节假日和调休安排尚未载入" in page and "FUPIN_EXTRA_HOLIDAYS" in page
    assert workdays.unknown_years(datetime.date(2026, 6, 1)) == []  # 60 days ahead stay in 2026
    settings.FUPIN_EXTRA_HOLIDAYS = ["2027-01-01"]  # the notice entered by hand: the year is known
    assert (
        workdays.known(2027) and "尚未载入" not in client.get(reverse("declarations:list")).content.decode()
    )
