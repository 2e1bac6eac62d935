"""The region tree pages: from the user's own region down, with household counts, never above or beside it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.regions.models import Region, RegionLevel
from tests import factories

pytestmark = pytest.mark.django_db


def page_of(client, user, code=None):
    client.force_login(user)
    url = reverse("regions:detail", args=[code]) if code else reverse("regions:index")
    return client.get(url)


def crumbs(html: str) -> str:
    return html.split('class="crumbs"')[1].split("</nav>")[0]


def row(html: str, name: str) -> list[str]:
    """The numbers in the table row of the named child region."""
    import re

    part = html.split(f">{name}<", 1)[1].split("</tr>", 1)[0]
    return re.findall(r'class="num">([\d,]+)<', part)


def test_index_opens_the_users_own_region(users, client):
    response = page_of(client, users["township"])
    assert response.status_code == 302 and response["Location"] == reverse(
        "regions:detail", args=[factories.VILLAGE[:9]]
    )


def test_township_officer_sees_the_township_and_its_villages_with_counts(users, client):
    factories.make_household(head="张一", members=3)
    factories.make_household(head="张二", members=2, status="exited", exit_year=2020)
    factories.make_household(factories.SIBLING_VILLAGE, head="李四", members=4)
    html = page_of(client, users["township"], factories.VILLAGE[:9]).content.decode()
    assert "嘉定镇" in html and "下辖行政村" in html
    assert row(html, "南山居委会") == ["2", "5", "1", "1", "0"]
    assert row(html, "人民路居委会") == ["1", "4", "1", "0", "0"]
    assert "大塘埠镇" not in html and "大塘埠村" not in html


def test_breadcrumb_never_goes_above_the_users_region(users, client):
    html = page_of(client, users["township"], factories.VILLAGE).content.decode()
    trail = crumbs(html)
    assert "嘉定镇" in trail and "南山居委会" in trail
    assert "信丰县" not in trail and "赣州市" not in trail and "江西省" not in trail


def test_county_officer_walks_down_to_a_village(users, client):
    factories.make_household(head="张一")
    client.force_login(users["county"])
    county = client.get(reverse("regions:detail", args=[factories.VILLAGE[:6]])).content.decode()
    assert reverse("regions:detail", args=[factories.VILLAGE[:9]]) in county and "下辖乡（镇）" in county
    village = client.get(reverse("regions:detail", args=[factories.VILLAGE])).content.decode()
    assert "统计用区划代码" in village and factories.VILLAGE in village
    assert f"{reverse('registry:household_list')}?region={factories.VILLAGE}" in village
    assert "信丰县" in crumbs(village) and "江西省" not in crumbs(village)


def test_village_page_counts_by_group_and_ungrouped(users, client, tree):
    group = Region.objects.create(
        code=factories.VILLAGE + "001", name="第一组", level=RegionLevel.GROUP, parent_id=factories.VILLAGE
    )
    factories.make_household(head="张一", group_code=group.code)
    factories.make_household(head="张二")
    html = page_of(client, users["clerk"], factories.VILLAGE).content.decode()
    assert row(html, "第一组")[0] == "1"
    assert row(html, "（未分组）")[0] == "1"
    assert "户数" in html and "2" in html.split("户数</span>")[1][:60]


@pytest.mark.parametrize(
    "who, code",
    [
        ("clerk", factories.SIBLING_VILLAGE),
        ("clerk", factories.VILLAGE[:9]),
        ("township", factories.VILLAGE[:6]),
        ("township", factories.OTHER_TOWNSHIP_VILLAGE),
        ("county", factories.OTHER_COUNTY_VILLAGE[:6]),
        ("county", "36"),
        ("clerk", "nonsense"),
    ],
)
def test_regions_outside_scope_are_404(users, client, who, code):
    factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="赵六")
    response = page_of(client, users[who], code)
    assert response.status_code == 404
    assert "赵六" not in response.content.decode()


def test_users_without_a_region_cannot_open_the_tree(users, client):
    assert page_of(client, users["liaison"]).status_code == 403
    assert page_of(client, users["liaison"], factories.VILLAGE).status_code == 404


def test_administrator_without_a_region_starts_at_the_provinces(users, client):
    factories.make_household(head="张一")
    html = page_of(client, users["admin"]).content.decode()
    assert "全国" in html and "江西省" in html and row(html, "江西省")[0] == "1"


def test_counts_take_one_query_however_many_children(users, client, django_assert_num_queries):
    factories.make_household(head="张一")
    client.force_login(users["county"])
    url = reverse("regions:detail", args=[factories.VILLAGE[:6]])
    client.get(url)  # warm the one-time work (the session, the navigation's to-do count cached per user)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for village in (factories.SIBLING_VILLAGE, factories.OTHER_TOWNSHIP_VILLAGE, "360722101201"):
        factories.make_household(village, head="李四")
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(url)
    assert len(one.captured_queries) <= 6


def test_read_only_roles_see_no_new_household_button(users, client):
    html = page_of(client, users["prefecture"], factories.VILLAGE[:6]).content.decode()
    assert reverse("registry:household_create") not in html
    html = page_of(client, users["county"], factories.VILLAGE[:6]).content.decode()
    assert reverse("registry:household_create") in html


def test_region_page_in_english(users, client):
    client.force_login(users["township"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("regions:detail", args=[factories.VILLAGE[:9]])).content.decode()
    assert "Households" in html and "Persons" in html and "Exited" in html and "Household list" in html
