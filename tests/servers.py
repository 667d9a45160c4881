"""What the tests that start the real server share: a free port, and a PostgreSQL database of
their own next to the one DATABASE_URL names (one per xdist worker, as pytest-django's)."""

import contextlib
import os
import socket
from urllib.parse import urlsplit, urlunsplit

import psycopg2

URL = os.environ.get("DATABASE_URL", "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextlib.contextmanager
def own_database(suffix: str):
    """A new, empty database `<name>_<suffix>[_gwN]`; yields its URL, drops it afterwards."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = urlsplit(URL).path.lstrip("/") + f"_{suffix}" + (f"_{worker}" if worker else "")
    admin = psycopg2.connect(with_database(URL, "postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield with_database(URL, name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
