"""The bureau list's totals line (count, 申请经费, 资助经费, 配套支持 of the filtered list) read
from an index on PostgreSQL: the list's filter columns with the three amounts carried along
(INCLUDE), so the sums never read the wide rows. SQLite has no INCLUDE; it reads the table."""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS application_call_totals
    ON applications_application (call_id, state, recommender_id, category)
    INCLUDE (requested_amount, funding_granted, bureau_support);
"""
DROP = "DROP INDEX IF EXISTS application_call_totals;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("applications", "0014_application_paper_received_by_and_more")]
    operations = [migrations.RunPython(create, drop)]
