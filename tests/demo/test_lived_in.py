"""After `fupin seed-demo`, every section a demo account's navigation shows lists data (issue 18, to build
1)."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from fupin.accounts.models import User
from fupin.assistance.models import Pairing, Visit
from fupin.audit.models import AuditEntry
from fupin.funds.models import Loan, Project, Repayment
from fupin.monitoring.models import CrossCheck, LookBack, MonitoredHousehold, Problem, ProblemStatus
from fupin.procedures.models import Batch, Stage
from fupin.registry import codes
from fupin.registry.models import Household

MAINNAV = re.compile(r'<nav class="mainnav".*?</nav>', re.S)
MAIN = re.compile(r"<main.*?</main>", re.S)
SUBNAV = re.compile(r"<nav\b.*?</nav>", re.S)
HREF = re.compile(r'href="(/[^"#?]*)[^"]*"')
ROW = re.compile(r"<tbody[^>]*>\s*<tr", re.S)


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(
        execute=True
    ):  # the cross-check runs once its upload is committed
        call_command("seed_demo", "--persons", "500", "--seed", "11", stdout=io.StringIO())


def _pages(client: Client, start: str) -> list[str]:
    """The section's page and the pages of its sub-navigation."""
    html = client.get(start).content.decode()
    main = MAIN.search(html)
    links = [start]
    for nav in SUBNAV.findall(main.group(0) if main else ""):
        links += [h for h in HREF.findall(nav) if h not in links]
    return links


def _sections(client: Client) -> list[str]:
    home = client.get("/", follow=True)
    assert home.status_code == 200
    nav = MAINNAV.search(home.content.decode())
    # the admin is Django's; 后台任务 lists only queued, interrupted and failed work, so it is rightly empty;
    # the field app's page is the app's shell, whose households its script downloads
    # (tests/browser/test_field_app_browser.py)
    skipped = ("/admin", "/work/", "/field/")
    return (
        [h for h in HREF.findall(nav.group(0)) if not h.startswith(skipped) or h == "/field/conflicts/"]
        if nav
        else []
    )


DEMO_ACCOUNTS = ["demo_clerk", "demo_team", "demo_township", "demo_county", "demo_prefecture", "demo_helper"]


def test_every_section_of_each_demo_account_lists_data(demo):
    """One seeding for all accounts (it takes a while): each account's sections, and their sub-pages."""
    empty = []
    for username in DEMO_ACCOUNTS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        sections = _sections(client)
        assert len(sections) >= 3, username
        for section in sections:
            bodies = []
            for page in _pages(client, section):
                response = client.get(page, follow=True)
                assert response.status_code == 200, (username, page)
                bodies.append(response.content.decode())
            if not any(ROW.search(body) for body in bodies):
                empty.append((username, section))
    # a read-only role acts on nothing, so its to-do list is rightly empty; every other account has work
    # waiting
    empty.remove(("demo_prefecture", "/todo/"))
    assert empty == [], empty  # (account, section) with no row
    _history_went_through_the_services()


def _history_went_through_the_services():
    paired = Pairing.objects.filter(ended_on__isnull=True)
    poor = Household.objects.filter(status=codes.HouseholdStatus.POOR)
    assert poor.exists() and not poor.exclude(pk__in=paired.values("household_id")).exists()
    assert Visit.objects.exists() and Loan.objects.exists() and Repayment.objects.exists()
    assert Project.objects.exists() and LookBack.objects.exists() and CrossCheck.objects.exists()
    assert MonitoredHousehold.objects.exists()
    assert Problem.objects.filter(status=ProblemStatus.CLOSED).exists()
    assert Problem.objects.exclude(status=ProblemStatus.CLOSED).exists()
    assert Batch.objects.filter(stage=Stage.ANNOUNCED).exists()
    assert Batch.objects.exclude(stage=Stage.ANNOUNCED).exists()
    # each step acted as a demo account (or the cycle's system account), so the audit trail names them
    actors = set(AuditEntry.objects.values_list("username", flat=True))
    assert {"demo_county", "demo_township", "demo_clerk"} <= actors
