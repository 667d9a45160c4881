"""Backup → wipe → restore gives back the same rows, the same scan bytes and the audit trail."""

import io
import shutil
import tarfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from reviews import printing, scans, workflow
from reviews.models import AuditRecord, StampedScan
from shanghai_experts.backup import MANIFEST, backup, table_counts

from .factories import CompleteApplicationFactory, UnitFactory, UserFactory


@pytest.fixture(autouse=True)
def schema_back_after_a_failure():
    """A test that fails between the wipe and the restore must not leave the next test without
    tables."""
    yield
    with connection.cursor() as cursor:
        if not connection.introspection.table_names(cursor):
            call_command("migrate", verbosity=0)


def wipe_database():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE")
            # As a new database has it (PostgreSQL 15): owned by the database owner, usable by all.
            cursor.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
            cursor.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f'DROP TABLE "{table}"')
            cursor.execute("PRAGMA foreign_keys = ON")


@pytest.mark.django_db(transaction=True)
def test_backup_wipe_restore(call, private_root, tmp_path):
    unit = UnitFactory()
    owner = UserFactory(organisation=unit)
    app = workflow.transition(
        CompleteApplicationFactory(call=call, unit=unit), "submit", user=owner
    )
    upload = SimpleUploadedFile("s.pdf", printing.form_pdf(app))
    upload.media_type = "application/pdf"
    scan = scans.store(app, user=owner, upload=upload)
    scan_path = Path(private_root) / scan.file.name
    scan_bytes = scan_path.read_bytes()
    counts = table_counts()
    audit = list(AuditRecord.objects.order_by("id").values_list("id", "action", "created_at"))

    archive = backup(tmp_path / "backups")
    assert archive.name.startswith("backup-") and archive.suffix == ".tar"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert MANIFEST in names and f"private/{scan.file.name}" in names

    wipe_database()
    shutil.rmtree(private_root)  # the scans and every other private file
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)
    assert "已恢复" in out.getvalue()

    assert table_counts() == counts
    assert scan_path.read_bytes() == scan_bytes
    assert (
        list(AuditRecord.objects.order_by("id").values_list("id", "action", "created_at")) == audit
    )
    assert StampedScan.objects.get().file.read() == scan_bytes
    if connection.vendor == "postgresql":
        # The restored audit trail is still append-only.
        from django.db import DatabaseError, transaction

        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM reviews_auditrecord")


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(call, tmp_path):
    archive = backup(tmp_path)
    with pytest.raises(CommandError, match="目标数据库不是空的"):
        call_command("restore", str(archive), stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_damaged_archive(call, tmp_path):
    archive = backup(tmp_path)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("database"):
                data = data[:-10] + b"0123456789"
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="校验失败"):
        call_command("restore", str(damaged), stdout=io.StringIO())
