"""The shared cache never takes the portal down: with Redis unreachable it answers as an empty cache."""

import pytest
from django.core.cache import cache, caches
from django.test import Client, override_settings

from portal.cache import ResilientRedisCache
from tests import factories

#: Nothing listens on port 1: every connection is refused at once.
UNREACHABLE = {"default": {"BACKEND": "portal.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}


def test_an_unreachable_redis_reads_as_an_empty_cache_and_forgets_what_it_is_given():
    unreachable = ResilientRedisCache("redis://127.0.0.1:1/0", {})

    assert unreachable.get("key", "default") == "default"
    assert unreachable.set("key", "value") is None
    assert unreachable.add("lock", True) is True
    assert unreachable.get_many(["a", "b"]) == {}
    assert unreachable.delete("key") is False
    assert not unreachable.has_key("key")


def test_a_reachable_redis_is_used_as_usual(settings):
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("the test settings use Redis (make test sets REDIS_URL)")
    cache.set("portal-test-key", "kept", 30)

    assert cache.get("portal-test-key") == "kept"
    assert isinstance(caches["default"], ResilientRedisCache)


@pytest.mark.django_db
def test_a_requester_signs_in_while_redis_is_down():
    requester = factories.make_user()

    with override_settings(CACHES=UNREACHABLE):
        response = Client().post("/accounts/login/", {"login": requester.email, "password": factories.PASSWORD})

    assert response.status_code == 302
