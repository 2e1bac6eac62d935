"""The importer's entry points: import one file (`import_file`, or an `Importer` to watch), run an ImportJob
(`process_job`), and what a caller checks against (`ImportRejected`, the template's `HEADINGS`).

The work is done in fupin.registry.importing, one module per concern: columns (the national form's columns and
cell converters), reading (.xlsx and .csv files), regions (names to village codes, pinyin initials), rows (the
Importer: row-wise validation), plan (matching against the registry, the chunk's plan), writer (the ORM and
PostgreSQL writers), report (results, error report, template), jobs (ImportJob and its progress), and the bulk
path: bulk (column-wise screening and COPY batches), frames (the file as a polars frame), initials.
"""

from .importing.columns import HEADINGS, ImportRejected
from .importing.jobs import process_job
from .importing.rows import Importer, import_file

__all__ = ["HEADINGS", "ImportRejected", "Importer", "import_file", "process_job"]
