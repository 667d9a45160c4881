"""On PostgreSQL the database, not the caller, sets an audit record's time.

A BEFORE INSERT trigger overwrites `created_at` with the database's clock for every role but the
table's owner and superusers: the application's role cannot write a back-dated (or future)
record, whatever it sends. The owner is let through so that a restore (pg_restore's COPY, as the
owner) keeps the original times. Submitted content becomes insert-only for the application's
role (reviews.dbroles); the retention purge, which pseudonymises it, runs as the owner.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION reviews_audit_time_from_database() RETURNS trigger AS $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND current_user <> (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID)
    THEN
        NEW.created_at := clock_timestamp();
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reviews_auditrecord_time_from_database
    BEFORE INSERT ON reviews_auditrecord
    FOR EACH ROW EXECUTE FUNCTION reviews_audit_time_from_database();
"""
DROP = """
DROP TRIGGER IF EXISTS reviews_auditrecord_time_from_database ON reviews_auditrecord;
DROP FUNCTION IF EXISTS reviews_audit_time_from_database();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0020_submitted_content_without_records")]
    operations = [migrations.RunPython(create, drop)]
