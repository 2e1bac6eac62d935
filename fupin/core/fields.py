"""Model fields shared by the apps."""

from typing import Any

from django.db import models


class CodeField(models.CharField):
    """Text made of ASCII codes (ID numbers, 户编号, region codes, pinyin initials), compared byte by byte.

    On PostgreSQL the column takes the collation "C": such codes sort the same under every locale, and
    with "C" PostgreSQL sorts them with abbreviated keys (an index on a million ID numbers builds in about
    three quarters of the time) and answers LIKE 'prefix%' from the column's plain index, where a locale's
    collation needs a second, pattern-matching one. SQLite compares bytes already.

    Index or constrain such a field through Meta (Index, UniqueConstraint), not db_index/unique=True: those
    would add Django's pattern-matching index on PostgreSQL all the same.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql" and not self.db_collation:
            parameters["collation"] = "C"
        return parameters
