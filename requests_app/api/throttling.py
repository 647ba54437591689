"""The pages' rate limits on the API's writes: ``POST_RATE_LIMITS``, counted in the pages' own buckets.

An endpoint names the page it stands for (``rate_limit_page``, a URL name such as
``requests_app:submit``); a POST there counts against that page's limit for the same user, so
the API is no way around the pages' limits, nor the other way round.
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from portal.ratelimit import rate_limit_key, retry_after


class PageRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        self.wait_seconds = None
        page = getattr(view, "rate_limit_page", None)
        rule = settings.POST_RATE_LIMITS.get(page) if page else None
        if rule is None or request.method in ("GET", "HEAD", "OPTIONS") or not request.user.is_authenticated:
            return True
        limit, seconds = rule
        self.wait_seconds = retry_after(key=rate_limit_key(page, request.user), limit=limit, seconds=seconds)
        return self.wait_seconds is None

    def wait(self):
        return self.wait_seconds
