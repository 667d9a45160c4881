"""Backup → wipe → restore gives back the same rows, the same scan bytes and the audit trail."""

import io
import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from reviews.documents import printing, scans
from reviews.engine import workflow
from reviews.models import AuditRecord, StampedScan
from shanghai_experts.backup import MANIFEST, backup, private_names, table_counts

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


def wipe_private():
    """Every private file deleted, through the storage (a folder or an object store)."""
    storage = storages["private"]
    for name in private_names(storage):
        storage.delete(name)
    assert private_names(storage) == []


@pytest.mark.django_db(transaction=True)
def test_backup_wipe_restore(call, tmp_path):
    unit = UnitFactory()
    owner = UserFactory(organisation=unit)
    app = workflow.transition(
        CompleteApplicationFactory(call=call, unit=unit), "submit", user=owner
    )
    upload = SimpleUploadedFile("s.pdf", printing.form_pdf(app))
    upload.media_type = "application/pdf"
    scan = scans.store(app, user=owner, upload=upload)
    storage = storages["private"]
    with storage.open(scan.file.name) as fh:
        scan_bytes = fh.read()
    counts = table_counts()
    audit = list(AuditRecord.objects.order_by("id").values_list("id", "action", "created_at"))

    archive = backup(tmp_path / "backups")
    assert archive.name.startswith("backup-") and archive.suffix == ".tar"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert MANIFEST in names and f"private/{scan.file.name}" in names

    wipe_database()
    wipe_private()  # the scans and every other private file
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)
    assert "已恢复" in out.getvalue()

    assert table_counts() == counts
    with storage.open(scan.file.name) as fh:
        assert fh.read() == scan_bytes
    assert (
        list(AuditRecord.objects.order_by("id").values_list("id", "action", "created_at")) == audit
    )
    assert StampedScan.objects.get().file.read() == scan_bytes
    if connection.vendor == "postgresql":
        # The restored audit trail is still append-only.
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


@pytest.mark.filesystem_storage
@pytest.mark.django_db(transaction=True)
def test_backups_and_restored_scans_are_the_service_users_alone(call, private_root, tmp_path):
    """An archive holds password hashes and TOTP secrets: 0600 in a 0700 folder, and the scans
    it brings back 0600 in 0700 folders, even under the usual 022 umask and from an older
    installation whose scans were 0644."""
    unit = UnitFactory()
    owner = UserFactory(organisation=unit)
    app = workflow.transition(
        CompleteApplicationFactory(call=call, unit=unit), "submit", user=owner
    )
    upload = SimpleUploadedFile("s.pdf", printing.form_pdf(app))
    upload.media_type = "application/pdf"
    scan_path = Path(private_root) / scans.store(app, user=owner, upload=upload).file.name
    scan_path.chmod(0o644)
    scan_path.parent.chmod(0o755)
    old = os.umask(0o022)
    try:
        archive = backup(tmp_path / "backups")
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700
        wipe_database()
        shutil.rmtree(private_root)
        call_command("restore", str(archive), stdout=io.StringIO())
    finally:
        os.umask(old)
    assert stat.S_IMODE(scan_path.stat().st_mode) == 0o600
    for folder in [scan_path.parent, *scan_path.parent.parents]:
        if folder == Path(private_root).parent:
            break
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_private_storage_that_is_not_empty(call, tmp_path):
    storages["private"].save("scans/left-over.pdf", File(io.BytesIO(b"%PDF-1.7")))
    archive = backup(tmp_path)
    with tarfile.open(archive) as tar:
        assert "private/scans/left-over.pdf" in tar.getnames()
    wipe_database()
    with pytest.raises(CommandError, match="私有文件存储（扫描件等）不是空的"):
        call_command("restore", str(archive), stdout=io.StringIO())
