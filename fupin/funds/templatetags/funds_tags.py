"""Template filters for money kept in fen and names shown to the public."""

from django import template
from django.utils.translation import gettext

from fupin.core import money

register = template.Library()


@register.filter
def fen(value) -> str:
    """Integer fen as yuan with thousands separators: 123456 → 1,234.56; empty shows a dash."""
    return money.format_fen(value)


@register.filter
def masked_name(name) -> str:
    """A name for public pages: first and last character kept (张*丰, 李*, 欧阳**明)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@register.filter
def quarter_label(quarter) -> str:
    return gettext("全年") if not quarter else gettext("第%(quarter)s季度") % {"quarter": quarter}
