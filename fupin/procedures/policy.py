"""Policy years (the poverty line per year and region) and each county's procedure settings (notice days,
holidays, deadlines)."""

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from fupin.accounts.models import User
from fupin.accounts.scope import ScopeError
from fupin.audit.services import record
from fupin.core import versions

from .models import PolicyYear, ProcedureSettings
from .permissions import ensure_level, may_set_policy_for
from .selectors import settings_for
from .services import ProcedureError

# ---------------------------------------------------------------- policy years and settings


@transaction.atomic
def set_policy_year(
    *,
    by: User,
    region_prefix: str,
    year: int,
    poverty_line: Decimal,
    monitoring_threshold: Decimal | None = None,
    note: str = "",
) -> PolicyYear:
    """Set a year's line nationally (administrator) or for a province/prefecture/county (its own office)."""
    if region_prefix:
        if not may_set_policy_for(by, region_prefix):
            raise ScopeError(gettext("只能为本级区划设定扶贫标准"))
    elif not by.is_superuser:
        raise ScopeError(gettext("全国标准只能由系统管理员维护"))
    if poverty_line is None or poverty_line <= 0:
        raise ProcedureError(gettext("扶贫标准须为正数"))
    obj, _ = PolicyYear.objects.update_or_create(
        region_prefix=region_prefix,
        year=year,
        defaults={"poverty_line": poverty_line, "monitoring_threshold": monitoring_threshold, "note": note},
    )
    record(
        by=by,
        action="set_policy_year",
        target=obj,
        scope_code=region_prefix,
        changes={"poverty_line": [None, str(poverty_line)]},
    )
    return obj


@transaction.atomic
def save_settings(
    *, by: User, county_code: str, expected_version: int | None = None, **fields: Any
) -> ProcedureSettings:
    """Save a county's settings. `expected_version`: the version the edit was based on (0: the county had none
    yet); on another one nothing is saved (versions.VersionConflict). None: a caller inside the product."""
    ensure_level(by, county_code, "county")
    cfg = settings_for(county_code)
    if cfg.pk is not None:
        cfg = ProcedureSettings.objects.select_for_update().get(pk=cfg.pk)
        versions.check(cfg, expected_version, edit={})
    for name in ("holidays", "extra_workdays"):
        if name in fields:
            days = []
            for d in fields[name]:
                try:
                    days.append(datetime.date.fromisoformat(str(d).strip()).isoformat())
                except ValueError:
                    raise ProcedureError(
                        gettext("日期格式不正确：%(d)s（应为 2025-10-01）") % {"d": d}
                    ) from None
            fields[name] = sorted(set(days))
    for name in ("survey_deadline", "update_deadline"):
        if name in fields:
            try:
                datetime.date.fromisoformat(f"2024-{fields[name]}")
            except ValueError:
                raise ProcedureError(
                    gettext("截止日期格式不正确：%(name)s（应为 01-31）") % {"name": fields[name]}
                ) from None
    if "notice_days" in fields and not 7 <= int(fields["notice_days"]) <= 30:
        raise ProcedureError(gettext("公示期不得少于 7 天（最多 30 天）"))
    for k, v in fields.items():
        setattr(cfg, k, v)
    cfg.save()
    record(
        by=by,
        action="save_procedure_settings",
        target=cfg,
        scope_code=county_code,
        changes={k: [None, str(v)] for k, v in fields.items()},
    )
    return cfg
