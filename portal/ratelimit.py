"""Rate limits on the POSTs that file or write something: one table, one middleware.

``settings.POST_RATE_LIMITS`` maps a URL name (``namespace:name``) to
``(requests, seconds)``: how many POSTs one signed-in user may make there in a
window of that many seconds. The counts live in the shared cache (Redis in
production), so every web process sees the same ones. Over the limit the POST
is not handled: the answer is a 429 page that says when to try again and shows
back the text that was written, so nothing typed is lost (drafts are saved step
by step on the server already). Sign-in attempts are allauth's own
(``ACCOUNT_RATE_LIMITS``).

While the shared cache is unreachable (Redis down), each web process counts in
its own memory: the limits still hold, per process, and a POST — a submission —
never fails because the cache does (tests/drills/test_redis_down.py).
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.shortcuts import render
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

#: POST fields never shown back on the 429 page.
_HIDDEN_FIELDS = frozenset({"csrfmiddlewaretoken", "action", "dataset"})
#: Where this process counts while the shared cache is unreachable.
_local_counts = LocMemCache("portal-ratelimit-fallback", {})


def _count(store, key: str, *, timeout: int) -> int:
    # add() then incr(): atomic on Redis, so concurrent POSTs are all counted.
    store.add(key, 0, timeout=timeout)
    try:
        return store.incr(key)
    except ValueError:  # the key expired between add() and incr()
        store.add(key, 1, timeout=timeout)
        return 1


def retry_after(*, key: str, limit: int, seconds: int) -> int | None:
    """Count one POST; ``None`` while under the limit, else the seconds to wait.

    The API's throttle (``requests_app.api.throttling``) counts under the same keys as the pages.
    """
    now = int(time.time())
    window = now // seconds
    window_key = f"portal:rl:{key}:{window}"
    try:
        count = _count(cache, window_key, timeout=seconds + 1)
    except (RedisError, OSError) as error:
        logger.warning("Rate limit counted in this process only: the cache is unreachable (%s).", error)
        count = _count(_local_counts, window_key, timeout=seconds + 1)
    if count <= limit:
        return None
    return (window + 1) * seconds - now


def rate_limit_key(view_name: str, user) -> str:
    """The counter of one user's POSTs to one page: the page and its API twin share it."""
    return f"{view_name}:{user.pk}"


class PostRateLimitMiddleware:
    """Refuse, with a 429 page, a user's POSTs beyond the limit of the page they post to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not request.user.is_authenticated:
            return None
        match = request.resolver_match
        rule = settings.POST_RATE_LIMITS.get(match.view_name) if match else None
        if rule is None:
            return None
        limit, seconds = rule
        wait = retry_after(key=rate_limit_key(match.view_name, request.user), limit=limit, seconds=seconds)
        if wait is None:
            return None
        written = [
            (name, value)
            for name, value in request.POST.items()
            if name not in _HIDDEN_FIELDS and isinstance(value, str) and len(value.strip()) > 1
        ]
        referer = request.headers.get("referer", "")
        response = render(
            request,
            "429.html",
            {
                "retry_minutes": max(1, -(-wait // 60)),
                "written": written,
                # Back to the page the form was on, if it was one of ours.
                "back_url": referer if referer.startswith(request.build_absolute_uri("/")) else "",
            },
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
