"""Region names (or a 行政村代码) to village and group codes under the importer's scope; pinyin initials of
names."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from fupin.regions.models import Region, RegionLevel

from .. import services
from .columns import BY_KEY, REGION, REGION_FIELDS, REGION_LEVELS

# ---------------------------------------------------------------------------------------------
# Fast pinyin initials: the same result as services.initials (pypinyin's lazy_pinyin), without
# its phrase segmentation for the names where it cannot matter: a character whose readings
# all start with one letter, or a name with no phrase of pypinyin's dictionary in it (then
# every character takes its first reading).


@lru_cache(maxsize=1)
def initial_letters() -> tuple[dict[str, str], dict[str, str], object]:
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

    certain, first = {}, {}
    for codepoint, readings in PINYIN_DICT.items():
        letters = [unicodedata.normalize("NFD", r)[0].upper() for r in readings.split(",") if r]
        if letters and "A" <= letters[0] <= "Z":
            first[chr(codepoint)] = letters[0]
            if len(set(letters)) == 1:
                certain[chr(codepoint)] = letters[0]
    return certain, first, PHRASES_DICT


INITIALS: dict[str, str] = {}  # kept between imports: the same names come back in the next file


def name_initials(name: str) -> str:
    certain, first, phrases = initial_letters()
    try:
        return "".join(map(certain.__getitem__, name))[:20]
    except KeyError:
        pass
    n = len(name)
    if all(c in first for c in name) and not any(
        name[i:j] in phrases for i in range(n - 1) for j in range(i + 2, n + 1)
    ):
        return "".join(map(first.__getitem__, name))[:20]
    return services.initials(name)


# ---------------------------------------------------------------------------------------------
# Region names → village codes, under the importer's scope


class RegionResolver:
    """Resolves 省/市/县/乡（镇）/行政村/自然村（组） names (or a 行政村代码) to region codes, cached."""

    def __init__(self, scope_prefix: str):
        self.scope = scope_prefix
        self.children: dict[tuple[str | None, str], list[str]] = {}
        self.villages: dict[str, Region | None] = {}
        self.resolved: dict[tuple, tuple] = {}

    def resolve(self, keys: set[tuple]) -> dict[tuple, tuple[str | None, str | None, tuple[str, str] | None]]:
        """{(province, prefecture, county, township, village, group, village_code): (village, group,
        error)}."""
        todo = keys - self.resolved.keys()
        if todo:
            self.resolved.update(self._resolve(todo))
        return self.resolved

    def _load(self, level: RegionLevel, pairs: set[tuple[str | None, str]]) -> None:
        todo = {p for p in pairs if p not in self.children}
        if not todo:
            return
        parents = {p for p, _ in todo}
        names = {n for _, n in todo}
        qs = Region.objects.filter(level=level, name__in=names)
        qs = (
            qs.filter(parent__isnull=True) if parents == {None} else qs.filter(parent_id__in=parents - {None})
        )
        for key in todo:
            self.children[key] = []
        for code, name, parent in qs.values_list("code", "name", "parent_id"):
            if (parent, name) in self.children:
                self.children[(parent, name)].append(code)

    def _resolve(self, keys: set[tuple]) -> dict[tuple, tuple]:
        out = {}
        by_code = {k for k in keys if k[6]}
        self._load_villages({k[6] for k in by_code})
        pending = {}
        for key in keys - by_code:
            # strict=False: the key's five levels; group and village code follow
            missing = [BY_KEY[(REGION, f)].heading for f, v in zip(REGION_FIELDS, key, strict=False) if not v]
            if missing:
                out[key] = (None, None, (missing[0], f"请填写{missing[0]}"))
            else:
                pending[key] = None
        parents: dict[tuple, str | None] = {k: None for k in pending}
        for depth, name_field in enumerate(REGION_FIELDS):
            self._load(REGION_LEVELS[name_field], {(parents[k], k[depth]) for k in pending})
            for key in list(pending):
                found = self.children[(parents[key], key[depth])]
                heading = BY_KEY[(REGION, name_field)].heading
                if not found:
                    where = "" if parents[key] is None else f"{key[depth - 1]}下"
                    out[key] = (None, None, (heading, f"{where}没有名为“{key[depth]}”的{heading}"))
                    del pending[key]
                elif len(found) > 1:
                    out[key] = (
                        None,
                        None,
                        (heading, f"有多个名为“{key[depth]}”的{heading}：请填写行政村代码"),
                    )
                    del pending[key]
                else:
                    parents[key] = found[0]
        for key in pending:
            out[key] = (parents[key], None, None)
        for key in by_code:
            code = key[6].rstrip()
            village = self.villages.get(code)
            if village is None:
                out[key] = (None, None, ("行政村代码", f"行政村代码 {code} 不存在或不是行政村"))
            elif key[4] and key[4] != village.name:
                out[key] = (
                    None,
                    None,
                    ("行政村", f"行政村代码 {code} 是“{village.name}”，与填写的“{key[4]}”不符"),
                )
            else:
                out[key] = (code, None, None)
        # scope, then the group under its village
        groups = {(village, key[5]) for key, (village, _, error) in out.items() if error is None and key[5]}
        self._load(RegionLevel.GROUP, groups)
        for key, (village, _, error) in list(out.items()):
            if error is not None:
                continue
            if not village.startswith(self.scope):
                out[key] = (None, None, ("行政村", f"{key[4] or village}不在您的管辖范围内"))
            elif key[5]:
                found = self.children.get((village, key[5])) or []
                if len(found) != 1:
                    out[key] = (
                        None,
                        None,
                        ("自然村（组）", f"{key[4] or village}下没有名为“{key[5]}”的自然村（组）"),
                    )
                else:
                    out[key] = (village, found[0], None)
        return out

    def _load_villages(self, codes_: set[str]) -> None:
        todo = {c.rstrip() for c in codes_} - set(self.villages)
        if not todo:
            return
        found = {r.code: r for r in Region.objects.filter(code__in=todo, level=RegionLevel.VILLAGE)}
        for code in todo:
            self.villages[code] = found.get(code)
