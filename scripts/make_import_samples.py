"""Write docs/sample_import.xlsx and docs/sample_import.csv: 信丰县 households in the import template.

    .venv/bin/python scripts/make_import_samples.py

The rows come from fupin.registry.importing.report.sample_rows (valid ID numbers made with
idnumber.check_character); the household's cells are on the head's row only, the layout
most county offices fill by hand.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")


def main() -> None:
    import django

    django.setup()
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from fupin.registry.importing.columns import HEADINGS, TEMPLATE_COLUMNS
    from fupin.registry.importing.report import sample_rows, write_template_csv

    rows = sample_rows()
    docs = ROOT / "docs"
    with open(docs / "sample_import.csv", "wb") as fh:
        write_template_csv(fh, rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "贫困户信息采集表"
    sheet.append(HEADINGS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    text = {"id_number", "head_id_number", "phone", "bank_account", "number"}
    for i, column in enumerate(TEMPLATE_COLUMNS, start=1):
        letter = sheet.cell(row=1, column=i).column_letter
        sheet.column_dimensions[letter].width = max(10, min(2 * len(column.heading) + 2, 24))
        if column.field in text:
            for r in range(2, len(rows) + 2):
                sheet.cell(row=r, column=i).number_format = "@"
    sheet.freeze_panes = "A2"
    workbook.save(docs / "sample_import.xlsx")
    print(f"wrote {len(rows)} rows to docs/sample_import.csv and docs/sample_import.xlsx")


if __name__ == "__main__":
    main()
