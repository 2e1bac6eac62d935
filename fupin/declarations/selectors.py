"""Reading declarations: scoped to the reader (a region, or a helper's paired households), sorted by urgency,
and counted for the dashboard from the same querysets the lists show."""

from __future__ import annotations

import datetime

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy

from fupin.accounts.scope import household_filter
from fupin.monitoring.models import Decision, Finding, RiskSignal, SignalState
from fupin.regions.models import Region, in_region
from fupin.regions.scope import region_filter

from .models import OPEN_STATUSES, Declaration, Status

# The dashboard's columns, each a filter the drill-down list applies too.
BUCKETS = {
    "received": (gettext_lazy("已受理"), Q()),
    "verified": (
        gettext_lazy("已核实"),
        ~Q(status=Status.RECEIVED) & ~Q(status=Status.REJECTED, case__isnull=True),
    ),
    "in_procedure": (gettext_lazy("办理中"), Q(status__in=[Status.IN_PROCEDURE, Status.REVIEWED])),
    "concluded": (gettext_lazy("已办结"), Q(status__in=[Status.CONCLUDED, Status.REJECTED])),
}


def overdue_q(today: datetime.date) -> Q:
    return Q(status__in=OPEN_STATUSES, due_on__lt=today)


def declarations_for(
    user,
    *,
    region: str = "",
    status: str = "",
    bucket: str = "",
    q: str = "",
    today: datetime.date | None = None,
) -> QuerySet[Declaration]:
    """The declarations `user` may read, most urgent first (open ones by deadline, then the concluded)."""
    scope = household_filter(user, "household__", region_field="village_id")
    if scope is None:
        return Declaration.objects.none()
    qs = Declaration.objects.filter(scope).select_related("village", "household")
    if region:
        qs = qs.filter(in_region("village_id", region))
    if status in Status.values:
        qs = qs.filter(status=status)
    if bucket == "overdue":
        qs = qs.filter(overdue_q(today or timezone.localdate()))
    elif bucket in BUCKETS:
        qs = qs.filter(BUCKETS[bucket][1])
    if q:
        qs = qs.filter(Q(receipt=q.strip()) | Q(name__contains=q.strip()))
    return qs.order_by(F("due_on").asc(nulls_last=True), "-received_at", "pk")


def declaration_for(user, pk) -> Declaration:
    return declarations_for(user).get(pk=pk)


def dashboard(user, region: Region | None, *, today: datetime.date | None = None) -> dict:
    """Counts per child region of `region` (or the user's own), each column a bucket of declarations_for."""
    today = today or timezone.localdate()
    base = declarations_for(user, region=region.code if region else "")
    children = list(Region.objects.filter(parent=region).order_by("code")) if region else []
    width = len(children[0].code) if children else None
    aggregates = {name: Count("pk", filter=cond) for name, (_, cond) in BUCKETS.items()}
    aggregates["overdue"] = Count("pk", filter=overdue_q(today))
    rows = []
    if width:
        by_child = {
            r["child"]: r
            for r in base.order_by()
            .annotate(child=Substr("village_id", 1, width))
            .values("child")
            .annotate(**aggregates)
        }
        for child in children:
            counts = by_child.get(child.code, {})
            rows.append({"region": child, "cells": [(k, counts.get(k, 0)) for k in aggregates]})
    total = base.order_by().aggregate(**aggregates)
    columns = [(k, label) for k, (label, _) in BUCKETS.items()] + [("overdue", gettext_lazy("超期"))]
    return {"rows": rows, "total": [(k, total[k]) for k in aggregates], "columns": columns}


def open_signals(user) -> QuerySet[RiskSignal]:
    """Risk signals still open and not yet a declaration, in the user's region: staff may open a case from
    each."""
    scope = region_filter(user, "village_code")
    if scope is None:
        return RiskSignal.objects.none()
    return (
        RiskSignal.objects.filter(scope, state=SignalState.OPEN, declaration__isnull=True)
        .select_related("household")
        .order_by("-year", "village_code", "pk")
    )


def open_findings(user) -> QuerySet[Finding]:
    """Cross-check findings still pending and not yet a declaration, in the user's region."""
    scope = region_filter(user, "village_code")
    if scope is None:
        return Finding.objects.none()
    return (
        Finding.objects.filter(scope, decision=Decision.PENDING, declaration__isnull=True)
        .select_related("household")
        .order_by("-severity", "pk")
    )


def history(declaration: Declaration):
    return declaration.events.all()


def by_receipt(receipt: str, last4: str) -> Declaration | None:
    """The household's own lookup: the receipt number and the ID number's last four characters, both exact."""
    receipt, last4 = (receipt or "").strip(), (last4 or "").strip().upper()
    if not (receipt.isdigit() and len(receipt) == 14 and len(last4) == 4):
        return None
    declaration = Declaration.objects.select_related("village", "case").filter(receipt=receipt).first()
    if declaration is None or declaration.id_number[-4:].upper() != last4:
        return None
    return declaration
