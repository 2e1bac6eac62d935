"""Events out from the procedures (issue 19, item 3): an exit's notices and announcement tell a subscriber,
through a
local receiver, of each notice published and of the household exited, once each."""

import json

from django.utils import timezone

from fupin.procedures import selection, services
from fupin.subscriptions import delivery
from fupin.subscriptions import services as subscriptions
from tests import factories
from tests.subscriptions.test_webhooks import Receiver

from .conftest import at
from .test_exit_and_relapse import _poor, _walk_notices_and_reviews


def test_an_exit_tells_the_subscriber_of_its_notices_and_the_household(users, settings):
    settings.FUPIN_WEBHOOK_ALLOW_PRIVATE = True
    hook = Receiver()
    try:
        subscriptions.create_subscription(
            by=users["county"],
            name="省监测平台",
            target_url=hook.url,
            event_types=["household.exited", "notice.published"],
        )
        clerk = users["clerk"]
        ready = _poor("王富", "6200")
        batch = services.open_batch(
            by=clerk, village_code=factories.VILLAGE, kind="exit", year=2025, now=at(0)
        )
        services.propose_exit_candidates(batch, by=clerk, now=at(0))
        services.confirm_by_helper(batch.entries.all(), by=clerk, helper_name="县农业局 张干部", now=at(0))
        services.complete_application(batch, by=clerk, now=at(1))
        batch.refresh_from_db()
        selection.complete_survey(batch, by=clerk, now=at(1))
        batch.refresh_from_db()
        _walk_notices_and_reviews(
            batch, clerk=clerk, township=users["township"], county=users["county"], day=2
        )
        delivery.deliver_due(timezone.now())
        bodies = [json.loads(body) for _, body, _ in hook.received]
    finally:
        hook.close()
    kinds = [b["type"] for b in bodies]
    assert kinds.count("notice.published") == 3 and kinds.count("household.exited") == 1
    exited = next(b for b in bodies if b["type"] == "household.exited")
    assert exited["data"]["household"]["id"] == ready.pk and exited["data"]["household"]["status"] == "exited"
    assert exited["data"]["year"] == 2025 and exited["region"] == factories.VILLAGE
    assert "王富" not in json.dumps(bodies, ensure_ascii=False)  # the notice's list of names is not carried
    assert len({b["id"] for b in bodies}) == 4
