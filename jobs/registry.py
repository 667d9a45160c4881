"""The kinds of job, registered by the floors that know how to build them.

A builder is called in the worker as `build(job, output, progress)`: it writes the file to
`output` (a binary file object), calls `progress(done, total)` as it goes, and returns the
download's file name and content type. It reads what it needs from `job.params` and builds
under `job.user`'s scope, exactly as the page that offered it would.
"""

import dataclasses
from collections.abc import Callable
from typing import IO

Progress = Callable[[int, int], None]


@dataclasses.dataclass(frozen=True)
class JobKind:
    name: str
    #: What 我的下载 calls it (一览表, 批量下载打印表 …).
    label: str
    build: Callable[..., tuple[str, str]]
    #: The audit record written when its file is served: (action, label).
    audit: tuple[str, str]
    #: What its count counts, as the audit says it (份 forms, 行 rows, 条 records).
    unit: str = "份"


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> JobKind:
    """The kind `name` (KeyError for an unknown one)."""
    return _KINDS[name]


def names() -> list[str]:
    return sorted(_KINDS)


__all__ = ["IO", "JobKind", "Progress", "get", "names", "register"]
