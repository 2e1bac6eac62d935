"""The latest anchors are visible to county and higher staff (copies outside the database), to nobody else."""

import io

from django.core.management import call_command

from fupin.audit.models import Anchor, ChainHead
from tests import factories


def test_county_and_province_see_their_chains_latest_anchor_others_do_not(client, users, tmp_path, settings):
    settings.FUPIN_AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.log")
    factories.make_household(head="甲一")
    factories.make_household(factories.OTHER_COUNTY_VILLAGE, head="丙三")
    call_command("audit_anchor", stdout=io.StringIO())
    mine = Anchor.objects.get(chain=factories.VILLAGE[:6])
    other = Anchor.objects.get(chain=factories.OTHER_COUNTY_VILLAGE[:6])
    assert ChainHead.objects.get(chain=mine.chain).hash == mine.hash

    client.force_login(users["county"])
    page = client.get("/audit/anchors/").content.decode()
    assert mine.hash in page and other.hash not in page
    client.force_login(users["province"])
    page = client.get("/audit/anchors/").content.decode()
    assert mine.hash in page and other.hash in page
    for role in ("clerk", "township", "liaison"):
        client.force_login(users[role])
        assert client.get("/audit/anchors/").status_code == 403
    client.logout()
    assert client.get("/audit/anchors/").status_code == 302
