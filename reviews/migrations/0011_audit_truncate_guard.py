"""PostgreSQL refuses TRUNCATE of the audit trail, and DELETE or TRUNCATE of submitted content.

The row-level trigger of 0009 does not fire on TRUNCATE. A statement-level trigger does; it
lets a superuser through (the DBA restoring a backup, the test runner's flush), never the
application's role, which owns nothing and has no TRUNCATE privilege either (grant_app_role).
Submitted content may be updated (the retention purge pseudonymises it), never deleted.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION reviews_refuse_unless_superuser() RETURNS trigger AS $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION USING MESSAGE =
            '审计记录不可清空或删除（' || TG_TABLE_NAME || ' is append-only）';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reviews_auditrecord_no_truncate
    BEFORE TRUNCATE ON reviews_auditrecord
    FOR EACH STATEMENT EXECUTE FUNCTION reviews_refuse_unless_superuser();
CREATE TRIGGER reviews_submittedcontent_no_truncate
    BEFORE TRUNCATE ON reviews_submittedcontent
    FOR EACH STATEMENT EXECUTE FUNCTION reviews_refuse_unless_superuser();
CREATE TRIGGER reviews_submittedcontent_no_delete
    BEFORE DELETE ON reviews_submittedcontent
    FOR EACH ROW EXECUTE FUNCTION reviews_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS reviews_auditrecord_no_truncate ON reviews_auditrecord;
DROP TRIGGER IF EXISTS reviews_submittedcontent_no_truncate ON reviews_submittedcontent;
DROP TRIGGER IF EXISTS reviews_submittedcontent_no_delete ON reviews_submittedcontent;
DROP FUNCTION IF EXISTS reviews_refuse_unless_superuser();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0010_submitted_content_apart")]
    operations = [migrations.RunPython(create, drop)]
