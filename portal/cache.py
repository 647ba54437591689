"""The shared cache, which must never take the portal down with it.

The cache holds only what can be lost: rate-limit counters (allauth's sign-in
limits, ``portal.ratelimit``) and short-lived lookups. When Redis is
unreachable, ``ResilientRedisCache`` behaves as an empty cache that forgets what
it is given — reads miss, writes are dropped, ``add`` succeeds — and logs a
warning, instead of answering the request with a 500. Rate limits then fail
open for the length of the outage: a sign-in still needs the password and, for
staff, the second factor (tests/drills/test_redis_down.py, tests/portal/test_cache.py).
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

#: What each operation answers while Redis is unreachable: the answers of an empty cache that keeps nothing.
#: ``add`` answers True (stored): allauth takes its rate-limit lock with ``while not cache.add(...)``.
_WHEN_UNREACHABLE = {
    "get": lambda key, default=None, *args, **kwargs: default,
    "get_many": lambda *args, **kwargs: {},
    "has_key": lambda *args, **kwargs: False,
    "set": lambda *args, **kwargs: None,
    "set_many": lambda *args, **kwargs: [],
    "add": lambda *args, **kwargs: True,
    "touch": lambda *args, **kwargs: False,
    "delete": lambda *args, **kwargs: False,
    "delete_many": lambda *args, **kwargs: None,
    "clear": lambda *args, **kwargs: None,
}


def _resilient(name: str, when_unreachable):
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (RedisError, OSError) as error:
            logger.warning("Cache unreachable, %s() answered as by an empty cache: %s", name, error)
            return when_unreachable(*args, **kwargs)

    return wrapper


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, answering as an empty cache while Redis is unreachable.

    ``incr``/``decr`` keep their errors: callers that count (``portal.ratelimit``)
    decide themselves what an unreachable counter means.
    """


for _name, _answer in _WHEN_UNREACHABLE.items():
    setattr(ResilientRedisCache, _name, _resilient(_name, _answer))
