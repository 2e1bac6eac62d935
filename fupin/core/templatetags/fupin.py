"""Template filters for the registry's figures and identifiers."""

import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from fupin.core import formats, idnumber

register = template.Library()

register.filter("yuan", formats.yuan)
register.filter("amount", formats.amount)
register.filter("thousands", formats.thousands)


@register.filter
def yes_no(value: object) -> str:
    return _("是") if value else _("否")


@register.filter
def age(birth_date: datetime.date | None) -> int | str:
    return idnumber.age_on(birth_date, timezone.localdate()) if birth_date else ""


@register.filter
def age_shown(birth_date: datetime.date | None, user: Any) -> str:
    """The age for roles that work with identifiers; the birth year for everyone else (fupin.registry.masking
    says why)."""
    if not birth_date:
        return ""
    if getattr(user, "sees_identifiers", False):
        return _("%(age)s岁") % {"age": idnumber.age_on(birth_date, timezone.localdate())}
    return _("%(year)s年生") % {"year": birth_date.year}


@register.filter
def id_shown(number: str, user: Any) -> str:
    """The ID number in full for roles that work with identifiers, masked for everyone else."""
    return number if getattr(user, "sees_identifiers", False) else idnumber.mask(number)


@register.filter
def text_shown(text: str, user: Any) -> str:
    """Free text that may name an ID number or a birth date (a suspect record, department evidence): masked
    for roles that do not work with identifiers, dates cut to the year."""
    if text in (None, ""):
        return text
    if getattr(user, "sees_identifiers", False):
        return text
    return idnumber.mask_text(str(text), dates=True)


@register.filter
def phone_shown(phone: str, user: Any) -> str:
    return phone if getattr(user, "sees_identifiers", False) else idnumber.mask_phone(phone)


@register.filter
def masked_id(number: str) -> str:
    """Always masked: for lists, whoever reads them."""
    return idnumber.mask(number)


@register.filter
def masked_phone(phone: str) -> str:
    """Always masked (138****5678): shown in full only where the page was asked to reveal it
    (fupin.registry.reveal)."""
    return idnumber.mask_phone(phone)


@register.inclusion_tag("core/_worker_warning.html")
def worker_warning() -> dict[str, Any]:
    """「后台任务未运行」 on pages whose work waits for a task worker, when none is alive
    (fupin.core.work)."""
    from fupin.core import work

    try:
        missing = work.worker_missing()
    except Exception:  # the page itself says what is wrong with the database; this banner must not break it
        missing = False
    return {"missing": missing}


@register.inclusion_tag("core/_calendar_warning.html")
def calendar_warning() -> dict[str, Any]:
    """On pages that show working-day deadlines: the coming years whose holidays the calendar does not know
    yet."""
    from django.utils import timezone

    from fupin.core import workdays

    return {"years": workdays.unknown_years(timezone.localdate())}


@register.simple_tag(takes_context=True)
def current(context: template.Context, *view_names: str) -> str:
    """` aria-current="page"` on a section's sub-menu link when the page is one of `view_names`."""
    match = getattr(context.get("request"), "resolver_match", None)
    return mark_safe(' aria-current="page"') if match and match.view_name in view_names else ""


@register.simple_tag(takes_context=True)
def export_button(context: Any, table: str, **given: Any) -> str:
    """The list page's 导出Excel link: the table `table` (fupin.core.table_exports) with the page's own
    filters, and `given` (what the page's address holds in its path, e.g. household=<pk>)."""
    from django.http import QueryDict
    from django.utils.html import format_html
    from django.utils.translation import gettext

    from fupin.core.table_exports import export_url

    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in given.items():
        params[key] = str(value)
    url = export_url(table, params)
    return format_html('<a class="button small export-xlsx" href="{}">{}</a>', url, gettext("导出Excel"))
