"""Indexes for the bureau's sorts: 名称 everywhere; 评审均分 and 评分极差 on PostgreSQL, where an
index can hold the sort's NULLS LAST (unscored items last)."""

from django.db import migrations, models

CREATE = """
CREATE INDEX IF NOT EXISTS application_call_mean
    ON applications_application (call_id, score_mean DESC NULLS LAST, id);
CREATE INDEX IF NOT EXISTS application_call_spread
    ON applications_application (call_id, score_spread DESC NULLS LAST, id);
"""
DROP = """
DROP INDEX IF EXISTS application_call_mean;
DROP INDEX IF EXISTS application_call_spread;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("applications", "0012_trigram_search")]
    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["call", "name", "id"], name="application_call_name"),
        ),
        migrations.RunPython(create, drop),
    ]
