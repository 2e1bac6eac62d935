"""Raising events: the outbox row and its deliveries, written in the transaction of the change they report, so
an event is never lost and never sent for a change that rolled back. The services where things happen call
`raise_event`.

What an event carries is the same for every receiver and holds no personal data: record ids, codes, statuses,
dates and region codes. No names, ID numbers, phones or free text (a problem's description names people). A
receiver that needs a household's details reads them through the API with its token, in its scope, where
revealing an identifier is logged with its purpose. Every region code in an event lies under the region of
each subscription it is delivered to (`concerned`)."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import EVENT_AREA, Delivery, DeliveryStatus, Event, EventType, Subscription


def _prefixes(code: str) -> list[str]:
    return [code[:n] for n in (2, 4, 6, 9, 12) if n <= len(code)]


def concerned(event_type: str, region_code: str) -> list[Subscription]:
    """The active subscriptions to this event: its type chosen, its region under theirs, its area readable."""
    area = EVENT_AREA[EventType(event_type)]
    return [
        s
        for s in Subscription.objects.filter(active=True, region_id__in=_prefixes(region_code))
        if event_type in s.event_types and (not s.areas or s.areas.get(area) in ("read", "write"))
    ]


def raise_event(event_type: str, *, region_code: str, data: dict[str, Any]) -> Event | None:
    """Record the event for the subscriptions it concerns (none: nothing is written) and queue their delivery
    once the caller's transaction commits."""
    subscriptions = concerned(event_type, region_code)
    if not subscriptions:
        return None
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        event = Event.objects.create(type=event_type, region_code=region_code, occurred_at=now, data=data)
        Delivery.objects.bulk_create(
            Delivery(event=event, subscription=s, status=DeliveryStatus.PENDING, next_attempt_at=now)
            for s in subscriptions
        )
    from .tasks import deliver_webhooks  # cycle breaker: the task module runs the delivery

    transaction.on_commit(lambda: deliver_webhooks.enqueue())
    return event


# ---------------------------------------------------------------- what each kind of record says


def household_data(household: Any, **extra: Any) -> dict[str, Any]:
    """A household as an event carries it: its id and number (户编号), village, status and type; no person."""
    return {
        "household": {
            "id": household.pk,
            "number": household.number,
            "village": household.village_id,
            "status": household.status,
            "household_type": household.household_type,
        },
        **extra,
    }


def notice_data(notice: Any) -> dict[str, Any]:
    """A notice's id, kind, region, title and period (its list of households is on the public page,
    masked)."""
    return {
        "notice": {
            "id": notice.pk,
            "kind": notice.kind,
            "region": notice.region_id,
            "title": notice.title,
            "batch": notice.batch_id,
            "posted_at": notice.posted_at.isoformat() if notice.posted_at else None,
            "ends_at": notice.ends_at.isoformat() if notice.ends_at else None,
        }
    }


def problem_data(problem: Any) -> dict[str, Any]:
    """A problem's id, source, region, status, deadline and household id; not its description (it names
    people)."""
    return {
        "problem": {
            "id": problem.pk,
            "source": problem.source,
            "region": problem.region_code,
            "status": problem.status,
            "deadline": problem.deadline.isoformat() if problem.deadline else None,
            "household": problem.household_id,
        }
    }


def raise_problem_event(problem: Any, *, closed: bool) -> Event | None:
    event_type = EventType.PROBLEM_CLOSED if closed else EventType.PROBLEM_OPENED
    return raise_event(event_type, region_code=problem.region_code, data=problem_data(problem))
