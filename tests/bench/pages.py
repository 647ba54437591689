"""SQL queries and time of the staff pages, measured in-process with Django's test client.

Run by ``python manage.py bench`` on the case database of each size: the
queue as an officer sees it (their cases) and as a lead sees it (every case,
first page and a deep page), and the case page of a decided and of an open
case. Each page is fetched once to warm up, then ``repeat`` times; the median
time is kept.
"""

import statistics
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import User
from requests_app.models import DataRequest, Status
from requests_app.workflow import OPEN_STATES
from tests.bench.management.commands.generate_cases import bench_email


def _measure(user, url: str, *, repeat: int) -> dict:
    # Production's settings refuse the test client's host name (testserver): ask by the portal's own.
    client = Client(headers={"host": urlsplit(settings.PORTAL_BASE_URL).netloc})
    client.force_login(user)
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code} to {user.email}")
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
        queries = len(captured)
    return {"url": url, "queries": queries, "median_ms": round(statistics.median(times) * 1000, 1)}


def measure_pages(*, repeat: int = 5) -> dict:
    """Queries and median time of each page, keyed by a short name; the number of cases measured on."""
    officer = User.objects.get(email=bench_email("officer", 1))
    lead = User.objects.get(email=bench_email("lead", 1))
    queue = reverse("workspace:queue")
    closed = DataRequest.objects.filter(status=Status.CLOSED).order_by("-received_at").first()
    open_case = (
        DataRequest.objects.filter(assigned_to=officer, status__in=OPEN_STATES).order_by("due_at").first()
        or DataRequest.objects.filter(status__in=OPEN_STATES).order_by("due_at").first()
    )
    pages = {
        "queue: officer, own open cases": (officer, queue),
        "queue: officer, all their cases": (officer, f"{queue}?queue=all"),
        "queue: lead, all cases": (lead, f"{queue}?queue=all"),
        "queue: lead, all cases, page 200": (lead, f"{queue}?queue=all&page=200"),
        "queue: lead, overdue": (lead, f"{queue}?queue=overdue"),
        "queue: lead, search": (lead, f"{queue}?queue=all&search=pédiatrie"),
        "case page: closed case (lead)": (lead, reverse("workspace:case", kwargs={"pk": closed.pk})),
        "case page: open case (officer)": (
            officer if open_case.assigned_to_id == officer.pk else lead,
            reverse("workspace:case", kwargs={"pk": open_case.pk}),
        ),
    }
    return {
        "cases": DataRequest.objects.count(),
        "pages": {name: _measure(user, url, repeat=repeat) for name, (user, url) in pages.items()},
    }
