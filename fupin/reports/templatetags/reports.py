"""Template helpers of the statistics pages."""
from django import template

register = template.Library()


@register.filter
def is_link(cell) -> bool:
    """A table cell given as (value, url of the households behind it)."""
    return isinstance(cell, tuple) and len(cell) == 2
