"""Optimistic versions (fupin.core.versions) for the records this app's edit forms change: a `version` column
the database raises whenever one of the columns below changes, whoever writes (issue 16, finding 3)."""

from django.db import migrations

from fupin.core.version_columns import operations

TABLES = {
    "user": (
        "accounts_user",
        (
            "email",
            "first_name",
            "full_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "last_name",
            "region_id",
            "role",
            "username",
        ),
    ),
}


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_api_token_expiry_and_read_only")]

    operations = operations(TABLES)
