"""One dated archive holds everything a restore needs: the database and the private scans.

    backup-20261128-020000.tar
        manifest.json       when, which engine, each file's size and SHA-256, each table's rows
        database.dump       PostgreSQL: pg_dump, custom format (one consistent snapshot)
        database.sqlite3    SQLite: the online backup API (consistent while the app runs)
        private/…           every file of the private storage (stamped scans, stored PDFs,
                            job files), read through the storage API: a shared volume or an
                            S3-compatible object store alike

`restore()` checks every checksum first, and restores only into an empty database and an empty
private storage, so it can never mix two installations.

An archive holds password hashes and TOTP secrets: archives are 0600 in a 0700 folder, and the
restored scans 0600 in 0700 folders, whatever the umask (check --deploy verifies it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import connection
from django.utils import timezone

MANIFEST = "manifest.json"


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env_and_args(db: dict) -> tuple[dict, list[str]]:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", db["USER"]]
    return env, args


def table_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def _dump_database(work: Path) -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        target = work / "database.dump"
        env, args = _pg_env_and_args(db)
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-acl", *args, "-f", str(target),
             db["NAME"]],
            env=env,
            check=True,
        )  # fmt: skip
    elif connection.vendor == "sqlite":
        target = work / "database.sqlite3"
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
    else:
        raise BackupError(f"不支持的数据库：{connection.vendor}")
    return target.name


def private_folder(path: Path) -> Path:
    """`path` as a folder only the service user may enter (0700), made if missing."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def private_names(storage=None, folder: str = "") -> list[str]:
    """Every file of the private storage, by name, whatever the backend (listdir, not a path)."""
    storage = storage or storages["private"]
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a filesystem storage that has stored nothing yet
        return []
    names = [f"{folder}/{name}" if folder else name for name in files]
    for sub in folders:
        names += private_names(storage, f"{folder}/{sub}" if folder else sub)
    return sorted(names)


def _fetch_private(work: Path) -> dict[str, Path]:
    """Copy every private file into `work/private`; {archive name: local copy}."""
    storage = storages["private"]
    files = {}
    for name in private_names(storage):
        target = work / "private" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy, 1 << 20)
        files["private/" + name] = target
    return files


def backup(directory: Path, now=None) -> Path:
    """Write one archive into `directory`; returns its path."""
    now = now or timezone.now()
    private_folder(directory)
    name = f"backup-{timezone.localtime(now):%Y%m%d-%H%M%S}.tar"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = {}
        dump = _dump_database(work)
        files[dump] = work / dump
        files.update(_fetch_private(work))
        manifest = {
            "created_at": now.isoformat(),
            "engine": connection.vendor,
            "database": dump,
            "tables": table_counts(),
            "files": {
                arcname: {"size": path.stat().st_size, "sha256": _sha256(path)}
                for arcname, path in files.items()
            },
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        partial = directory / (name + ".partial")
        # Created 0600: the archive is never readable by others, not even while it is written.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as archive:
            archive.add(work / MANIFEST, arcname=MANIFEST)
            for arcname, path in files.items():
                archive.add(path, arcname=arcname)
        partial.rename(directory / name)  # a half-written archive never looks finished
    return directory / name


def _safe_members(archive: tarfile.TarFile):
    for member in archive.getmembers():
        target = Path(member.name)
        if target.is_absolute() or ".." in target.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"备份文件中有不安全的路径：{member.name}")
        yield member


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def restore(archive_path: Path) -> dict:
    """Restore an archive into an empty database and an empty scan folder; returns its
    manifest. Everything is verified before anything is written."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(archive_path) as archive:
            archive.extractall(work, members=list(_safe_members(archive)), filter="data")
        manifest = json.loads((work / MANIFEST).read_text())
        for arcname, expected in manifest["files"].items():
            path = work / arcname
            if not path.is_file() or _sha256(path) != expected["sha256"]:
                raise BackupError(f"校验失败：{arcname} 与清单不符，备份文件可能已损坏。")
        if manifest["engine"] != connection.vendor:
            raise BackupError(f"备份来自 {manifest['engine']}，当前数据库是 {connection.vendor}。")
        if not _database_is_empty():
            raise BackupError("目标数据库不是空的：只能恢复到新建的空数据库。")
        storage = storages["private"]
        if private_names(storage):
            raise BackupError("私有文件存储（扫描件等）不是空的：只能恢复到空的存储。")

        db = connection.settings_dict
        dump = work / manifest["database"]
        if connection.vendor == "postgresql":
            connection.close()
            env, args = _pg_env_and_args(db)
            subprocess.run(
                ["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", *args,
                 "-d", db["NAME"], str(dump)],
                env=env,
                check=True,
            )  # fmt: skip
        else:
            connection.ensure_connection()
            source = sqlite3.connect(dump)
            try:
                source.backup(connection.connection)
            finally:
                source.close()
        # Through the storage (on disk it makes each file 0600 in 0700 folders).
        for arcname in manifest["files"]:
            if not arcname.startswith("private/"):
                continue
            name = arcname.removeprefix("private/")
            with (work / arcname).open("rb") as fh:
                saved = storage.save(name, File(fh, name=name))
            if saved != name:
                raise BackupError(f"私有文件 {name} 未能按原名恢复（存为 {saved}）。")
    restored = table_counts()
    if restored != manifest["tables"]:
        raise BackupError("恢复后的数据行数与备份清单不一致。")
    return manifest


def default_directory() -> Path:
    return Path(os.environ.get("BACKUP_DIR", settings.BASE_DIR / "var" / "backups"))
