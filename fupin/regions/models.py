"""The administrative division tree, addressed by statistical codes.

A region's code is its full code with the trailing zeros removed (11, 1101, 110101,
110101001, 110101001001); a village group adds 3 digits. A subtree is then a code
prefix, read as one indexed range [prefix, prefix_next) — never a recursive walk.
"""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省")
    PREFECTURE = 2, _("市")
    COUNTY = 3, _("县")
    TOWNSHIP = 4, _("乡（镇）")
    VILLAGE = 5, _("行政村")
    GROUP = 6, _("自然村（组）")


CODE_LENGTHS = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.PREFECTURE: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
    RegionLevel.GROUP: 15,
}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}


def level_of(code: str) -> RegionLevel:
    try:
        return RegionLevel(LEVEL_BY_LENGTH[len(code)])
    except KeyError:
        raise ValueError(gettext("不是有效的区划代码：%(code)s") % {"code": repr(code)}) from None


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level == RegionLevel.PROVINCE:
        return None
    return code[: CODE_LENGTHS[RegionLevel(level - 1)]]


MAX_CODE_LENGTH = 15


def code_range(prefix: str) -> tuple[str, str]:
    """The closed range [prefix, prefix99…9] holding every code under `prefix`.

    Codes are digit strings, so this compares the same under any collation and is
    served by the primary-key (or foreign-key) btree index.
    """
    return prefix, prefix + "9" * (MAX_CODE_LENGTH - len(prefix))


def in_region(field: str, prefix: str) -> "models.Q":
    """A filter for rows whose `field` (a region code) lies under `prefix`."""
    lo, hi = code_range(prefix)
    return models.Q(**{f"{field}__gte": lo, f"{field}__lte": hi})


def full_code(code: str) -> str:
    """The 12-digit statistical code (groups keep their 15 digits)."""
    return code.ljust(12, "0") if len(code) <= 12 else code


class Region(models.Model):
    code = models.CharField(_("区划代码"), max_length=15, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return self.name

    @property
    def statistical_code(self) -> str:
        return full_code(self.code)

    def contains(self, code: str) -> bool:
        return code.startswith(self.code)

    def ancestors_codes(self) -> list[str]:
        return [self.code[:n] for level, n in CODE_LENGTHS.items() if n < len(self.code)]

    def path(self) -> list["Region"]:
        """This region and its ancestors, province first (one query)."""
        codes = self.ancestors_codes()
        found = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [found[c] for c in codes if c in found] + [self]

    def full_name(self) -> str:
        return "".join(r.name for r in self.path())
