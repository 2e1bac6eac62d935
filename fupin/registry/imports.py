"""Importing households and members from the national form (贫困户信息采集表) as .xlsx or .csv.

One row per member; the household's columns are repeated on every row or filled on the
head's row only. The file is validated with the same rules as the forms (validation.py,
idnumber.parse) and written all-or-nothing: with any error nothing is written, unless
the user asked for the valid households only, and then a household is written whole or
not at all. Re-importing a file changes nothing: records are matched by ID number (and
户编号), compared, and only what differs is written and audited.

The row-wise path works on chunks of whole households: cells are converted column by column,
once per distinct value, and rows are loaded with PostgreSQL COPY (bulk_create on SQLite).
On PostgreSQL a file of BULK_MIN_ROWS rows or more takes the bulk path (import_bulk.py): whole
columns checked with polars, clean new households COPYed as CSV, households found equal to the
registry left alone, and every other household handed to the row-wise path here, which reports
its errors or plans its update; both paths give the same errors (tests/registry/test_import_bulk.py).
The column list is docs/import_template.md.
"""
from __future__ import annotations

from .importing.plan import (SKIPPED, NEW_REGISTERED, _chunks, _Group, _MISSING, HouseholdPlanner, Plan,
    _plain)
from .importing.rows import (CHUNK_ROWS, BULK_MIN_ROWS, BULK_INDEX_MIN_ROWS, BULK_CHUNK_ROWS,
    MAX_ERRORS_KEPT, Importer, import_file)
from .importing.jobs import (JobProgress, process_job)
from .importing.writer import (PlanWriter, LIST_VERSION_TRIGGERS, bump_list_versions,
    _BulkMode, Writer, _copy_escape)
from .importing.regions import (_initial_letters, _INITIALS, name_initials, RegionResolver)
from .importing.report import (RowError, ImportResult, ERROR_HEADINGS, XLSX_MAX_ROWS, write_error_report,
    read_error_report, write_template, write_template_csv, SAMPLE_HOUSEHOLDS, sample_rows)
from .importing.reading import (EXTENSIONS, Table, HEADER_SEARCH_ROWS, open_table, HEADINGS_CHECKED_UP_TO,
    check_upload)
from .importing.columns import (ImportRejected, CellError, _identity, REGION, HOUSEHOLD, INCOME, MEMBER,
    Column, COLUMNS, TEMPLATE_COLUMNS, HEADINGS, BY_KEY, REGION_FIELDS, REGION_LEVELS, HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS, INCOME_COLUMNS, MONEY_FIELDS, HOUSEHOLD_FILE_FIELDS, MEMBER_FILE_FIELDS,
    HOUSEHOLD_DEFAULTS, MEMBER_DEFAULTS, JSON_FIELDS, AUDIT_SKIP, _columns_for, ColumnMap, map_columns)
