"""GET /me/ and the region tree, within the caller's scope."""

import pytest

from tests import factories


def test_me_tells_role_region_and_rights(api):
    body = api("township").get("/api/v1/me/").json()
    assert body["role"] == "township" and body["role_display"] == "乡镇扶贫办"
    assert body["region"] == {"code": "360722100", "name": "嘉定镇", "level": 4, "level_display": "乡（镇）"}
    assert body["scope_prefix"] == "360722100"
    assert body["can_edit_registry"] is True and body["sees_identifiers"] is True


def test_me_of_read_only_and_liaison_users(api):
    province = api("province").get("/api/v1/me/").json()
    assert province["can_edit_registry"] is False and province["sees_identifiers"] is False
    liaison = api("liaison").get("/api/v1/me/").json()
    assert liaison["region"] is None and liaison["scope_prefix"] is None


def test_region_in_scope(api):
    response = api("county").get(f"/api/v1/regions/{factories.VILLAGE[:9]}/")
    assert response.status_code == 200
    assert response.json() == {
        "code": "360722100",
        "statistical_code": "360722100000",
        "name": "嘉定镇",
        "full_name": "江西省赣州市信丰县嘉定镇",
        "level": 4,
        "level_display": "乡（镇）",
        "parent": "360722",
    }


def test_children_in_scope(api):
    response = api("county").get("/api/v1/regions/360722/children/")
    assert response.status_code == 200
    assert [(r["code"], r["full_name"]) for r in response.json()] == [
        ("360722100", "江西省赣州市信丰县嘉定镇"),
        ("360722101", "江西省赣州市信丰县大塘埠镇"),
    ]


def test_children_of_a_region_above_the_users_scope_is_404(api):
    # The township's parent county contains other townships the user may not read.
    assert api("township").get("/api/v1/regions/360722/children/").status_code == 404
    assert api("township").get("/api/v1/regions/360722/").status_code == 404


@pytest.mark.parametrize("user", ["clerk", "township", "county"])
def test_regions_outside_scope_and_nonexistent_look_the_same(api, user):
    out_of_scope = api(user).get(f"/api/v1/regions/{factories.OTHER_COUNTY_VILLAGE}/")
    missing = api(user).get("/api/v1/regions/999999999999/")
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()


def test_liaison_sees_no_region(api):
    # a liaison's token reaches only its cross-check lists (issue 19): the regions are refused outright
    answer = api("liaison").get(f"/api/v1/regions/{factories.VILLAGE}/")
    assert answer.status_code == 403 and "比对名单" in answer.json()["detail"]


@pytest.mark.parametrize("code", ["abc", "3607221", "36072210000100000000", "３６"])
def test_malformed_region_code_is_422(api, code):
    response = api("county").get(f"/api/v1/regions/{code}/")
    assert response.status_code == 422
    assert "区划代码" in response.json()["errors"]["code"]
