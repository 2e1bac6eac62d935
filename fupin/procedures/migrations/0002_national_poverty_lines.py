"""The national poverty lines 2013–2020 at current prices (DESIGN.md section 3)."""
from decimal import Decimal

from django.db import migrations

NATIONAL_LINES = {2013: 2736, 2014: 2800, 2015: 2855, 2016: 3000, 2017: 3335, 2018: 3535, 2019: 3747, 2020: 4000}


def add_lines(apps, schema_editor):
    PolicyYear = apps.get_model("procedures", "PolicyYear")
    for year, line in NATIONAL_LINES.items():
        PolicyYear.objects.get_or_create(region_prefix="", year=year, defaults={
            "poverty_line": Decimal(line), "note": "国家农村扶贫标准（2010年2300元不变价，现价）"})


def remove_lines(apps, schema_editor):
    apps.get_model("procedures", "PolicyYear").objects.filter(region_prefix="", year__in=list(NATIONAL_LINES)).delete()


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]
    operations = [migrations.RunPython(add_lines, remove_lines)]
