"""On PostgreSQL the database itself refuses to change or delete an audit record.

The model already refuses through the ORM; this stops a raw UPDATE or DELETE too (等保2.0:
audit records protected from alteration). SQLite, the development default, has no such guard.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION reviews_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计记录不可修改或删除（reviews_auditrecord is append-only）';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reviews_auditrecord_append_only
    BEFORE UPDATE OR DELETE ON reviews_auditrecord
    FOR EACH ROW EXECUTE FUNCTION reviews_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS reviews_auditrecord_append_only ON reviews_auditrecord;
DROP FUNCTION IF EXISTS reviews_audit_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0008_audit_log")]
    operations = [migrations.RunPython(create, drop)]
