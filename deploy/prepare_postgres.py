#!/usr/bin/env python3
"""Make the PostgreSQL database of a production start ready, idempotently:

1. the owner role and the application role exist (LOGIN, neither a superuser);
2. the database that DATABASE_URL names exists, owned by the owner role;
3. migrations run as the owner;
4. the application role gets data rights only (`manage.py grant_app_role`).

    DATABASE_URL        the application's connection, e.g.
                        postgres://shanghai_app@127.0.0.1:5432/shanghai_experts
    OWNER_DATABASE_URL  the owner's (default: DATABASE_URL with the user shanghai_owner)
    POSTGRES_ADMIN_URL  a superuser, to create roles and the database
                        (default postgres://postgres@127.0.0.1:5432/postgres)

Passwords in the URLs are set on the roles when they are created. The application never
connects as the owner or the superuser.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent


def with_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def ensure_role(cursor, url: str) -> str:
    parts = urlsplit(url)
    role = parts.username
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    if cursor.fetchone() is None:
        cursor.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
                sql.Identifier(role)
            )
        )
        print(f"已创建数据库角色 {role}")
    if parts.password:
        cursor.execute(
            sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(role)), [parts.password]
        )
    return role


def main() -> int:
    app_url = os.environ["DATABASE_URL"]
    owner_url = os.environ.get("OWNER_DATABASE_URL") or with_user(app_url, "shanghai_owner")
    admin_url = os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = urlsplit(app_url).path.lstrip("/")
    if not name or urlsplit(owner_url).path.lstrip("/") != name:
        print(
            "DATABASE_URL 与 OWNER_DATABASE_URL 须指向同一个数据库。",
            file=sys.stderr,
        )
        return 2

    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        owner = ensure_role(cursor, owner_url)
        app = ensure_role(cursor, app_url)
        if owner == app:
            print("应用程序角色不能是数据库所有者（DATABASE_URL 的用户）。", file=sys.stderr)
            return 2
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(owner)
                )
            )
            print(f"已创建数据库 {name}，所有者 {owner}")
    admin.close()

    # Tables created by the owner belong to it; nobody else may create objects in public.
    database = psycopg2.connect(with_database(admin_url, name))
    database.autocommit = True
    with database.cursor() as cursor:
        cursor.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))
        cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    database.close()

    env = {**os.environ, "DATABASE_URL": owner_url}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True)
    subprocess.run([*manage, "grant_app_role", app], env=env, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
