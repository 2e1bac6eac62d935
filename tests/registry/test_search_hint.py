"""Issue 18, finding 11: the household search's hint says exactly what it matches, for the reader's role."""

import pytest
from django.urls import reverse

from tests import factories


@pytest.mark.parametrize("who", ["county", "prefecture"])
def test_the_hint_promises_only_what_the_search_finds(client, users, who):
    household = factories.make_household(head="张三丰")
    id_number = household.members.get(relation="head").id_number
    client.force_login(users[who])
    url = reverse("registry:household_list")
    hint = client.get(url, {"q": "不存在的人"}).content.decode()
    assert "全部或部分" not in hint and "姓名的开头" in hint
    found = lambda q: household.number in client.get(url, {"q": q}).content.decode()  # noqa: E731
    assert found("张三") and not found("三丰")  # a name matches from its beginning only
    if who == "county":  # sees ID numbers: the whole number or its last six (encrypted: fupin.core.crypto)
        assert "最后6位以上" in hint
        assert found(id_number) and found(id_number[-6:]) and found(id_number[-9:])
        assert not found(id_number[6:14]) and not found(id_number[-5:])
    else:
        assert "完整的18位身份证号" in hint and "最后6位" not in hint
        assert not found(id_number[6:14])
