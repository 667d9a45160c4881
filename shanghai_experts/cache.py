"""Django's Redis cache, which a Redis outage never breaks.

The cache is shared by every process and host; the database stays the truth (sessions are
`cached_db`). When Redis cannot be reached, a read is a miss and a write is dropped, so every
page still works; after a failure Redis is not asked again for `RETRY_AFTER` seconds, so a
page pays the connect timeout at most once in that time, not once per cache call.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: Seconds during which a failed Redis is left alone.
RETRY_AFTER = 5.0
FAILURES = (RedisConnectionError, RedisTimeoutError, OSError)


def _tolerant(name, fallback):
    def method(self, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback(*args, **kwargs) if callable(fallback) else fallback
        try:
            return getattr(RedisCache, name)(self, *args, **kwargs)
        except FAILURES as exc:
            self._down_until = time.monotonic() + RETRY_AFTER
            logger.warning("缓存（Redis）不可用，%s 秒内不再使用：%s", RETRY_AFTER, exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = name
    return method


def _default(key, default=None, *args, **kwargs):
    return default


class TolerantRedisCache(RedisCache):
    _down_until = 0.0

    get = _tolerant("get", _default)
    get_many = _tolerant("get_many", lambda *a, **k: {})
    has_key = _tolerant("has_key", False)
    set = _tolerant("set", None)
    set_many = _tolerant("set_many", lambda *a, **k: [])
    add = _tolerant("add", False)
    touch = _tolerant("touch", False)
    delete = _tolerant("delete", False)
    delete_many = _tolerant("delete_many", None)
    clear = _tolerant("clear", None)

    def incr(self, key, delta=1, version=None):
        if time.monotonic() < self._down_until:
            raise ValueError("缓存不可用")  # what Django's caches raise for a missing key
        try:
            return super().incr(key, delta, version)
        except FAILURES as exc:
            self._down_until = time.monotonic() + RETRY_AFTER
            logger.warning("缓存（Redis）不可用：%s", exc)
            raise ValueError("缓存不可用") from exc
