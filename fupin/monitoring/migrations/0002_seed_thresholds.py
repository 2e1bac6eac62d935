"""National defaults from the seeds: monitoring line 5,000 yuan (监测户、边缘户, seed 003) and the
4,500 yuan line for the unregistered rural population (seed 004), from 2019 on."""
from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    Threshold = apps.get_model("monitoring", "MonitoringThreshold")
    for year in (2019, 2020):
        Threshold.objects.get_or_create(region_prefix="", year=year, defaults={
            "threshold": Decimal("5000"), "unregistered_line": Decimal("4500"), "income_drop_percent": 30,
            "large_expense": Decimal("10000"), "note": "种子文件：监测线5000元，档外人口排查线4500元",
        })


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
