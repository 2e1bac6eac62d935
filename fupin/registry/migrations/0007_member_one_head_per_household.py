"""One head (户主) per household, held by the database (issue 16, finding 4).

Before the index is built, households that already have more than one head are named, so the
migration stops with a list to correct instead of a bare constraint error.
"""
from django.db import migrations, models
from django.db.models import Count


def refuse_households_with_two_heads(apps, schema_editor):
    Member = apps.get_model("registry", "Member")
    doubled = list(Member.objects.filter(relation="head").values("household_id").annotate(n=Count("id"))
                   .filter(n__gt=1).values_list("household_id", flat=True)[:20])
    if doubled:
        raise RuntimeError("these households have more than one head (户主); correct them, then migrate again: "
                           + ", ".join(str(pk) for pk in doubled))


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0006_code_columns_and_one_member_search_index"),
    ]

    operations = [
        migrations.RunPython(refuse_households_with_two_heads, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(
                condition=models.Q(("relation", "head")), fields=("household",), name="member_one_head_per_household"
            ),
        ),
    ]
