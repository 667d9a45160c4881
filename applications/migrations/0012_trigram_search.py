"""Trigram indexes for the lists' search (名称或单位, 服务领域) on PostgreSQL.

Django's icontains compares UPPER(column::text); the indexes are on that expression, so a
search stays an index scan as the call grows. SQLite (development) has none and stays correct.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS application_name_trgm
    ON applications_application USING gin ((UPPER(name::text)) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS application_field_trgm
    ON applications_application USING gin ((UPPER(service_field::text)) gin_trgm_ops);
"""
DROP = """
DROP INDEX IF EXISTS application_name_trgm;
DROP INDEX IF EXISTS application_field_trgm;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("applications", "0011_return_opinion")]
    operations = [migrations.RunPython(create, drop)]
