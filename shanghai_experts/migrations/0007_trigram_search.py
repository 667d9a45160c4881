"""A trigram index on organisation names, for the lists' search by unit (PostgreSQL only)."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS organisation_name_trgm
    ON shanghai_experts_organisation USING gin ((UPPER(name::text)) gin_trgm_ops);
"""
DROP = "DROP INDEX IF EXISTS organisation_name_trgm;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("shanghai_experts", "0006_call_guidance")]
    operations = [migrations.RunPython(create, drop)]
