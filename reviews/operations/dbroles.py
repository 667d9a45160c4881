"""Two PostgreSQL roles: the owner runs migrations; the application connects as a role that owns
nothing, so it cannot TRUNCATE, ALTER, disable triggers or change the audit trail.

    app role:  SELECT, INSERT, UPDATE, DELETE on the application's tables,
               but on the audit trail SELECT and INSERT only,
               and on submitted content SELECT and INSERT only (the retention purge,
               which pseudonymises it, runs as the owner: `make purge`);
               no TRUNCATE anywhere, no ownership, not a superuser.

The audit record's time is the database's (migration 0021's trigger), not the role's.
"""

from psycopg2 import sql

from ..models import AuditRecord, SubmittedContent

APPEND_ONLY = {
    AuditRecord._meta.db_table: "SELECT, INSERT",
    SubmittedContent._meta.db_table: "SELECT, INSERT",
}


def grant_statements(role: str, owner: str | None = None) -> list:
    who = sql.Identifier(role)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(who),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(who),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            who
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(who),
    ]
    for table, privileges in APPEND_ONLY.items():
        statements += [
            sql.SQL("REVOKE ALL ON {} FROM {}").format(sql.Identifier(table), who),
            sql.SQL("GRANT " + privileges + " ON {} TO {}").format(sql.Identifier(table), who),
        ]
    if owner:
        # Tables a later migration creates: DML for the app role until this runs again.
        statements.append(
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
            ).format(sql.Identifier(owner), who)
        )
    return statements


def grant_app_role(cursor, role: str, owner: str | None = None) -> None:
    for statement in grant_statements(role, owner):
        cursor.execute(statement)
