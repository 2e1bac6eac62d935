"""Visits that really happened: a photo's perceptual hash (dHash on Pillow), and the checks the
helper-monitoring report shows (handed to assistance by FieldConfig.ready): visits typed long after the fact,
photos reused across households, visits located far from their village."""

import datetime
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext
from PIL import Image

from .models import PhotoTrace, VisitTrace

HASH_SIZE = 8


def dhash(file: IO[bytes]) -> str:
    """The 64-bit difference hash of an image (Krawetz's dHash): near-identical photos (recompressed, resized)
    have hashes a few bits apart."""
    with Image.open(file) as image:
        small = image.convert("L").resize((HASH_SIZE + 1, HASH_SIZE), Image.Resampling.LANCZOS)
        pixels = small.tobytes()
    bits = 0
    for row in range(HASH_SIZE):
        for col in range(HASH_SIZE):
            left = pixels[row * (HASH_SIZE + 1) + col]
            right = pixels[row * (HASH_SIZE + 1) + col + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:016x}"


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def _limits() -> tuple[int, float, int]:
    return (
        int(getattr(settings, "FUPIN_FIELD_LATE_DAYS", 3)),
        float(getattr(settings, "FUPIN_FIELD_FAR_KM", 5)),
        int(getattr(settings, "FUPIN_FIELD_SAME_PHOTO_BITS", 4)),
    )


Flag = Callable[[Any, str, str], None]


def _late(traces: list[VisitTrace], late_days: int, flag: Flag) -> None:
    for t in traces:
        typed = t.received_at.date() - t.visit.visited_on
        if typed > datetime.timedelta(days=late_days):
            flag(t.visit, "late", f"走访日期{t.visit.visited_on}，{typed.days}天后才录入")


def _far(traces: list[VisitTrace], far_km: float, flag: Flag) -> None:
    """Villages have no coordinates in fupin: a village's point is the median of its own located field visits
    (three or more); a visit farther than `far_km` from it is flagged. With fewer, nothing can be said."""
    located: dict[str, list[tuple[VisitTrace, float, float]]] = defaultdict(list)
    for t in traces:
        if t.latitude is not None and t.longitude is not None:
            located[t.visit.household.village_id].append((t, float(t.latitude), float(t.longitude)))
    for rows in located.values():
        if len(rows) < 3:
            continue
        lat = statistics.median(r[1] for r in rows)
        lon = statistics.median(r[2] for r in rows)
        for t, t_lat, t_lon in rows:
            km = _km(lat, lon, t_lat, t_lon)
            if km > far_km:
                flag(t.visit, "far", f"定位距该村其他走访的中位点约{km:.1f}公里")


def _reused(visit_ids: set[int], same_bits: int, flag: Flag, visits_by_id: dict) -> None:
    """A photo whose hash is within `same_bits` of a photo of another household's visit (any time, any
    helper)."""
    mine = list(
        PhotoTrace.objects.filter(photo__visit_id__in=visit_ids).values_list(
            "photo__visit_id", "photo__visit__household_id", "dhash"
        )
    )
    if not mine:
        return
    others = list(PhotoTrace.objects.values_list("photo__visit__household_id", "dhash"))
    for visit_id, household_id, h in mine:
        for other_household, other in others:
            if other_household != household_id and distance(h, other) <= same_bits:
                flag(visits_by_id[visit_id], "reused", "照片与其他户走访的照片相同或近似")
                break


def visit_checks(visits: QuerySet) -> dict:
    """{"rows": {(helper id, township code): {"late_visits", "reused_photos", "far_visits"}}, "visits": [each
    flagged visit with its reasons], "notes": [what could not be checked]} for the report's visits."""
    late_days, far_km, same_bits = _limits()
    traces = list(
        VisitTrace.objects.filter(visit__in=visits).select_related("visit__household", "visit__helper")
    )
    visits_by_id = {t.visit_id: t.visit for t in traces}
    flagged: dict[int, dict] = {}
    counts: dict = defaultdict(lambda: {"late_visits": 0, "reused_photos": 0, "far_visits": 0})
    column = {"late": "late_visits", "reused": "reused_photos", "far": "far_visits"}

    def flag(visit: Any, what: str, reason: str) -> None:
        entry = flagged.setdefault(
            visit.pk,
            {
                "visit": visit.pk,
                "visited_on": visit.visited_on,
                "helper": visit.helper.name,
                "household": visit.household.number,
                "household_id": visit.household_id,
                "kinds": [],
                "reasons": [],
            },
        )
        if what not in entry["kinds"]:
            entry["kinds"].append(what)
            entry["reasons"].append(reason)
            counts[(visit.helper_id, visit.household.village_id[:9])][column[what]] += 1

    _late(traces, late_days, flag)
    _far(traces, far_km, flag)
    _reused(set(visits_by_id), same_bits, flag, visits_by_id)
    notes = [
        gettext(
            "村未登记坐标：以该村3次以上有定位的走访的中位点为参照，超过%(km)s公里的走访标记为“距村较远”；"
            "定位不足3次的村无法判断。仅手机App录入的走访有设备时间、定位和照片哈希。"
        )
        % {"km": format(far_km, "g")}
    ]
    return {
        "rows": dict(counts),
        "visits": sorted(flagged.values(), key=lambda e: (e["visited_on"], e["visit"])),
        "notes": notes,
    }
