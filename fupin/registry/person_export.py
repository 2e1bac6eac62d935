"""Every person the caller may read, as JSON lines, at close to the database's own export speed (issue 19: a
million persons at no less than half the speed of PostgreSQL's COPY of the same columns).

The rows are read by keyset (`id` after the last one sent), a chunk at a time, and the database builds each
line. On PostgreSQL a chunk is one `COPY (SELECT <line> … ORDER BY id) TO STDOUT`: the database builds and
sends the lines while this process passes the last ones on, a line's text between quotes as it is except in
the few rows a partial index lists as holding characters JSON escapes (NeedsEscaping). On SQLite json_object
builds the lines and Python joins a chunk. A line is an object, or in the arrays layout the values alone
after a first line naming them. Each chunk is its own statement: nothing is held open
between them, a person written meanwhile is sent once or not at all (never twice), and a client whose
connection broke asks again with `after` = the last id it received.

Only columns that are not identifiers are exported: ID numbers and phones are encrypted at rest and masked for
every bulk reader (the birth date's year only, as the masked lists show); a reveal is one household at a time.
"""

import itertools
import json
from collections.abc import Iterator

from django.db import connection
from django.db.models import (
    AutoField,
    BooleanField,
    F,
    ForeignKey,
    Func,
    IntegerField,
    Max,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.aggregates import StringAgg
from django.db.models.functions import ExtractYear

from fupin.accounts.models import User
from fupin.accounts.scope import household_filter
from fupin.regions.models import in_region

from .models import Member

CHUNK = 10_000
COPY_CHUNK = 100_000  # persons a COPY on PostgreSQL
LINES_A_WRITE = 2_000  # lines passed on together
# COPY's binary format: a header before the first row (a signature, flags, the length of an extension that
# follows), each row its field count and the field's length before it, and this at the end.
COPY_END = b"\xff\xff"
# A text value JSON must escape (PostgreSQL regular expression): a quote, a backslash, a control character.
JSON_ESCAPED = r'["\\\x01-\x1f]'
OBJECTS, ARRAYS = "objects", "arrays"  # a line per person: an object of COLUMNS, or an array of their values
# The exported columns, in their order on every line.
COLUMNS = {
    "id": F("id"),
    "household": F("household_id"),
    "village_code": F("village_code"),
    "name": F("name"),
    "sex": F("sex"),
    "birth_year": ExtractYear("birth_date"),
    "relation": F("relation"),
    "ethnicity": F("ethnicity"),
    "education": F("education"),
    "schooling": F("schooling"),
    "health": F("health"),
    "labour_skill": F("labour_skill"),
    "work_status": F("work_status"),
    "work_months": F("work_months"),
    "disability_category": F("disability_category"),
    "disability_level": F("disability_level"),
}


def _concatenated(pieces: list[str]) -> str:
    """SQL pieces joined by || as a balanced tree, ((a || b) || (c || d)): each byte of the line is copied
    about log2(n) times, not n/2 as in a chain (10-15 % of the database's time on a million persons)."""
    if len(pieces) == 1:
        return pieces[0]
    half = len(pieces) // 2
    return f"({_concatenated(pieces[:half])} || {_concatenated(pieces[half:])})"


def _is_number(value) -> bool:
    return isinstance(value.output_field, (IntegerField, AutoField, ForeignKey))


def _texts(compiler, values) -> tuple[str, list]:
    """The text values concatenated (NULL as empty), as the guard tests them (PostgreSQL)."""
    texts, params = [], []
    for value in values:
        if _is_number(value):
            continue
        sql, value_params = compiler.compile(value)
        nullable = getattr(getattr(value, "target", None), "null", True)
        texts.append(f"coalesce(({sql}), '')" if nullable else f"({sql})")
        params += value_params
    return " || ".join(texts), params


class NeedsEscaping(Func):
    """Whether a row's texts hold a character JSON must escape: a quote, a backslash or a control character
    (PostgreSQL). The partial index member_json_escaped (registry 0014) holds the rows where this is true
    of COLUMNS, so a chunk finds its few such persons, most often none, without testing each row."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, columns: dict) -> None:
        super().__init__(*columns.values())

    def as_postgresql(self, compiler, connection, **extra):
        texts, params = _texts(compiler, self.get_source_expressions())
        return f"(({texts}) ~ %s)", [*params, JSON_ESCAPED]


class JsonLine(Func):
    """One JSON object as text, its keys in the order given (json_object on SQLite; on PostgreSQL below); with
    keys=False the values alone, as an array (json_array).

    On PostgreSQL, `escaped` is a query of the ids of the rows whose texts need escaping (NeedsEscaping):
    read once, in the same statement, so in the same snapshot as the rows (a person changed meanwhile is not
    written unescaped), the others are written as they are without a test; without it, each row is
    tested."""

    output_field = TextField()

    def __init__(self, columns: dict, *, keys: bool = True, escaped: QuerySet | None = None) -> None:
        self.names = list(columns)
        self.keys = keys
        self.escaped = escaped
        self.function = "JSON_OBJECT" if keys else "JSON_ARRAY"
        parts = [[Value(key), value] if keys else [value] for key, value in columns.items()]
        rows = [F("pk"), Subquery(escaped)] if escaped is not None else []
        super().__init__(*itertools.chain.from_iterable(parts), *rows)

    def as_postgresql(self, compiler, connection, **extra):
        # '{"id":' || id || ',"name":"' || name || '","sex":"' || … || '"}': numbers as their text and text
        # between quotes as it is, unless one of the row's texts holds a quote, a backslash or a control
        # character, when PostgreSQL's own JSON writer (to_json) quotes each; a NULL is null. An array is the
        # same without the keys ('[' || id || ',"' || name …). Measured on 1,038,000 persons (psql, COPY to
        # /dev/null, quiet): 2.7 s with one regular expression over a row's texts together, against 3.9 s
        # with one a column, 4.5 s for row_to_json and 5.7 s for json_build_object; the arrays without a
        # test of each row (`escaped`) 1.6-1.7 s, with it 2.2-2.3 s.
        sources = self.get_source_expressions()
        if self.escaped is not None:
            *sources, row, escaped = sources
        values = sources[1::2] if self.keys else sources
        opening, closing = ("{", "}") if self.keys else ("[", "]")
        plain: list[str] = []  # SQL pieces, literals merged: '","sex":"'
        quoted: list[str] = []
        plain_params: list = []
        quoted_params: list = []
        literal = ""

        def add_literal(pieces: list[str], text: str) -> None:
            pieces.append("'" + text.replace("'", "''") + "'")

        for i, (name, value) in enumerate(zip(self.names, values, strict=True)):
            key = (opening if i == 0 else ",") + (json.dumps(name) + ":" if self.keys else "")
            sql, params = compiler.compile(value)
            nullable = getattr(getattr(value, "target", None), "null", True)
            if _is_number(value):
                number = f"coalesce(({sql})::text, 'null')" if nullable else f"({sql})::text"
                add_literal(plain, literal + key)
                plain.append(number)
                literal = ""
                add_literal(quoted, key)
                quoted.append(number)
            else:
                if nullable:
                    add_literal(plain, literal + key)
                    plain.append(f"""coalesce('"' || ({sql}) || '"', 'null')""")
                    literal = ""
                else:
                    add_literal(plain, literal + key + '"')
                    plain.append(f"({sql})")
                    literal = '"'
                add_literal(quoted, key)
                quoted.append(f"coalesce(to_json(({sql}))::text, 'null')")
            plain_params += params
            quoted_params += params
        add_literal(plain, literal + closing)
        add_literal(quoted, closing)
        texts, text_params = _texts(compiler, values)
        if not texts:
            return _concatenated(plain), plain_params
        if self.escaped is not None:
            row_sql, row_params = compiler.compile(row)
            escaped_sql, escaped_params = compiler.compile(escaped)  # uncorrelated: run once (an InitPlan)
            test, test_params = f"{row_sql} = ANY(ARRAY{escaped_sql})", [*row_params, *escaped_params]
        else:
            test, test_params = f"({texts}) ~ %s", [*text_params, JSON_ESCAPED]
        return (
            f"(CASE WHEN {test} THEN {_concatenated(quoted)} ELSE {_concatenated(plain)} END)",
            [*test_params, *quoted_params, *plain_params],
        )


def persons_for(user: User, *, region: str = "") -> QuerySet[Member]:
    """The persons the user may read (in the region's subtree if given)."""
    scope = household_filter(user, "household__", region_field="village_code")
    if scope is None:
        return Member.objects.none()
    members = Member.objects.all()
    if region:
        members = members.filter(in_region("village_code", region))  # the narrower range first
    return members.filter(scope)


def last_of_chunk(persons: QuerySet[Member], after: int, size: int) -> int | None:
    """The id of the `size`-th person after id `after` (the last one's if fewer are left; None: none left).

    The chunk is then read as that id range, which the planner reads by the primary key, where
    `id IN (… LIMIT n)` made PostgreSQL scan the whole table for each chunk."""
    following = persons.filter(pk__gt=after)
    bounds = following.order_by("pk").values_list("pk", flat=True)[size - 1 : size]
    return bounds[0] if bounds else following.aggregate(last=Max("pk"))["last"]


def chunk_after(
    persons: QuerySet[Member], after: int, size: int = CHUNK, *, keys: bool = True
) -> tuple[str | None, int | None]:
    """The lines of the `size` persons after id `after` joined by newlines, and the last id among them
    (None, None past the last person)."""
    last = last_of_chunk(persons, after, size)
    if last is None:
        return None, None
    chunk = persons.filter(pk__gt=after, pk__lte=last)
    if not connection.features.supports_aggregate_order_by_clause:  # SQLite before 3.44: joined here
        return "\n".join(chunk.order_by("pk").values_list(JsonLine(COLUMNS, keys=keys), flat=True)), last
    line = JsonLine(COLUMNS, keys=keys)
    lines = chunk.aggregate(lines=StringAgg(line, delimiter=Value("\n"), order_by="pk"))["lines"]
    return lines, last


def copied_lines(persons: QuerySet[Member], after: int, last: int, *, keys: bool = True) -> Iterator[bytes]:
    """The lines of the persons with ids in (after, last], in id order, through COPY (PostgreSQL), which
    builds them in parallel workers and sends each as it is after its length (COPY's binary format: its
    text format would escape backslashes): a row is its field count (1), the line's length and the line."""
    chunk = persons.filter(pk__gt=after, pk__lte=last).order_by("pk")
    escaped = Member.objects.filter(pk__gt=after, pk__lte=last).filter(NeedsEscaping(COLUMNS))
    line = JsonLine(COLUMNS, keys=keys, escaped=escaped.order_by().values("pk"))
    chunk = chunk.values_list(line, flat=True)
    query = connection.ops.compose_sql(*chunk.query.sql_with_params())
    statement = f"COPY ({query}) TO STDOUT (FORMAT binary)"
    lines: list = []
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        messages = iter(copy)
        first = bytes(next(messages))  # the header, then the first row (or the end)
        for row in itertools.chain([first[19 + int.from_bytes(first[15:19]) :]], messages):
            if len(row) == len(COPY_END):
                continue  # the end: the iterator ends after it
            lines.append(row[6:])  # a memoryview: joined below, copied once
            if len(lines) == LINES_A_WRITE:
                lines.append(b"")
                yield b"\n".join(lines)
                lines = []
    if lines:
        lines.append(b"")
        yield b"\n".join(lines)


def person_lines(
    user: User, *, after: int = 0, region: str = "", size: int | None = None, layout: str = OBJECTS
) -> Iterator[bytes]:
    """Every person the user may read after id `after`, in id order, as JSON lines (UTF-8) ending in a
    newline; `size` persons a statement (COPY_CHUNK on PostgreSQL, CHUNK elsewhere).

    Each line is an object of COLUMNS, or with layout=ARRAYS an array of their values in that order, after a
    first line naming them (JSON Lines' own tabular form: the same persons in less than half the bytes)."""
    keys = layout != ARRAYS
    if not keys:
        yield (json.dumps(list(COLUMNS)) + "\n").encode()
    persons = persons_for(user, region=region)
    if connection.vendor == "postgresql":
        while (last := last_of_chunk(persons, after, size or COPY_CHUNK)) is not None:
            yield from copied_lines(persons, after, last, keys=keys)
            after = last
        return
    while True:
        lines, last = chunk_after(persons, after, size or CHUNK, keys=keys)
        if last is None:
            return
        yield (lines + "\n").encode()
        after = last
