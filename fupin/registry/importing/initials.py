"""Pinyin initials of many names at once for the bulk path (polars): the same result as regions.name_initials,
each distinct name converted once per process.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from .regions import INITIALS, initial_letters, name_initials

_KNOWN_INITIALS = [pl.DataFrame(schema={"name": pl.String, "initials": pl.String})]  # kept between imports


def initials(names: pl.Series) -> pl.Series:
    """importing.regions.name_initials of each name: each distinct name converted once per process
    (regions.INITIALS), and looked up with a join (a mapping of every name known, handed to polars each
    batch, cost more than the rest)."""
    known = _KNOWN_INITIALS[0]
    if len(known) > 2_000_000:
        known = _KNOWN_INITIALS[0] = known.clear()
    frame = names.rename("name").to_frame()
    missing = frame.join(known, on="name", how="anti")["name"].unique().drop_nulls()
    if len(missing):
        # name_initials' first two rules in polars: every character with one initial whatever its reading, or
        # every character's first reading when no phrase of pypinyin's dictionary is in the name (checked for
        # names of up to PHRASE_NAME_MAX characters); the other names go to name_initials itself
        letters = (
            pl.DataFrame({"name": missing}).with_row_index("i").with_columns(c=pl.col("name").str.split(""))
        )
        letters = letters.explode("c").join(_letters(), on="c", how="left", maintain_order="left")
        found = letters.group_by("i", maintain_order=True).agg(
            pl.col("name").first(),
            initials=pl.col("first").str.join("").str.slice(0, 20),
            certain=pl.col("certain").fill_null(False).all(),
            known=pl.col("first").is_not_null().all(),
        )
        n = pl.col("name").str.len_chars()
        checked = found.filter(~pl.col("certain") & pl.col("known") & (n <= PHRASE_NAME_MAX)).with_columns(
            n=n
        )
        parts = pl.concat(
            [
                checked.filter(pl.col("n") >= j).select("i", s=pl.col("name").str.slice(i, j - i))
                for i in range(PHRASE_NAME_MAX - 1)
                for j in range(i + 2, PHRASE_NAME_MAX + 1)
            ]
        )
        phrased = parts.join(_phrases(), on="s", how="semi")["i"]
        sure = pl.concat(
            [found.filter(pl.col("certain")), checked.filter(~pl.col("i").is_in(phrased.implode())).drop("n")]
        ).select("name", "initials")
        cache = INITIALS
        others = missing.filter(~missing.is_in(sure["name"].implode())).to_list()
        added = pl.concat(
            [
                sure,
                pl.DataFrame(
                    {
                        "name": others,
                        "initials": [
                            cache[v] if v in cache else cache.setdefault(v, name_initials(v)) for v in others
                        ],
                    },
                    schema=known.schema,
                ),
            ]
        )
        known = _KNOWN_INITIALS[0] = pl.concat([known, added], rechunk=True)
    return frame.join(known, on="name", how="left", maintain_order="left")["initials"]


PHRASE_NAME_MAX = 6


@lru_cache(maxsize=1)
def _letters() -> pl.DataFrame:
    """Each character's first reading's initial, and whether every reading has that initial
    (importing.regions.initial_letters)."""
    certain, first, _ = initial_letters()
    return pl.DataFrame(
        {"c": list(first), "first": list(first.values()), "certain": [c in certain for c in first]},
        schema={"c": pl.String, "first": pl.String, "certain": pl.Boolean},
    )


@lru_cache(maxsize=1)
def _phrases() -> pl.DataFrame:
    return pl.DataFrame({"s": list(initial_letters()[2])}, schema={"s": pl.String})
