"""`pytest -p tests.s3storage`: the whole suite with the private files in an S3 object store.

A real S3 protocol server (moto's server mode, on a free loopback port of this process) is
started before Django is set up, and the settings choose the S3 backend for the private
storage (PRIVATE_STORAGE=s3), exactly as a deployment on a government cloud's object storage
would. Each test writes under its own key prefix. A test that checks what only a filesystem
has (file modes, a path on disk) is marked `filesystem_storage` and skipped here; every other
code path runs against the object store, which proves none of them opens a local path.
"""

import os
import socket
import uuid

import pytest

BUCKET = "shanghai-experts-test"
_server = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Before pytest-django sets Django up: start the server, point the settings at it."""
    global _server
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request

    port = _free_port()
    _server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    _server.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        PRIVATE_STORAGE="s3",
        S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL=endpoint,
        S3_ACCESS_KEY="test",
        S3_SECRET_KEY="test",
        S3_REGION="us-east-1",
    )
    import boto3

    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)


def pytest_unconfigure(config):
    if _server is not None:
        _server.stop()


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="checks what only a filesystem has (S3 storage run)")
    for item in items:
        if item.get_closest_marker("filesystem_storage"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _own_prefix(request):
    """Each test's files under a key prefix of their own, as its own folder on disk; a module
    that builds its world once, before any case (SHARED_PRIVATE_FILES = True, the URL walk),
    keeps the prefix that world was built under, as it copies its files into each case's
    folder on disk."""
    from django.core.files.storage import storages

    storage = storages["private"]
    saved = storage.location
    if not getattr(request.module, "SHARED_PRIVATE_FILES", False):
        storage.location = f"t-{uuid.uuid4().hex[:12]}"
    yield
    storage.location = saved
