"""The web load run: staff browsing queues and case pages, requesters filing requests (``manage.py bench``).

Run by ``tests.bench.web`` with ``BENCH_SESSIONS`` naming a JSON file of
session cookies made in the bench database: {"staff": [...], "requesters": [...]}.
Each simulated person uses one account of it; staff pages are fetched without
following redirects, so a page that sends a user elsewhere (sign-in, MFA) counts as an error.
"""

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

SESSIONS = json.loads(Path(os.environ["BENCH_SESSIONS"]).read_text(encoding="utf-8"))
STAFF_USERS = len(SESSIONS["staff"])
REQUESTER_USERS = len(SESSIONS["requesters"])
CASE_LINK = re.compile(r'href="/workspace/cases/(\d+)/"')
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DRAFT_URL = re.compile(r"/requests/(\d+)/profile/$")
QUEUES = ["mine", "unassigned", "due_soon", "overdue", "awaiting_requester", "all"]


class _Signed(HttpUser):
    abstract = True
    pool = "staff"

    def on_start(self):
        account = SESSIONS[self.pool].pop()
        self.client.cookies.set(account["cookie_name"], account["session"])


class StaffUser(_Signed):
    """An officer or a lead: a queue tab, a page of it, then some of the cases listed."""

    fixed_count = STAFF_USERS
    wait_time = between(0.5, 2)
    pool = "staff"

    def on_start(self):
        super().on_start()
        self.cases: list[str] = []

    @task(2)
    def queue(self):
        params = {"queue": random.choice(QUEUES), "page": random.choice([1, 1, 1, 2, 5])}
        with self.client.get(
            "/workspace/", params=params, name="staff: queue", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            found = CASE_LINK.findall(response.text)
            if found:
                self.cases = found

    @task(3)
    def case(self):
        if not self.cases:
            return self.queue()
        with self.client.get(
            f"/workspace/cases/{random.choice(self.cases)}/",
            name="staff: case page",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")


class RequesterUser(_Signed):
    """A requester filing a whole request: a draft, every step, a table, the declarations, submission."""

    fixed_count = REQUESTER_USERS
    wait_time = between(0.5, 2)
    pool = "requesters"

    def _post(self, url: str, name: str, data: dict, expect: str) -> str | None:
        """POST a step as the browser would, then GET the page it redirects to; the page's URL, or None."""
        self.wait()
        with self.client.post(
            url,
            data={**data, "csrfmiddlewaretoken": self.token},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not location.split("?")[0].endswith(expect):
                response.failure(f"status {response.status_code}, sent to {location!r}")
                return None
        with self.client.get(location, name=f"page {expect}", allow_redirects=False, catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"status {page.status_code}")
                return None
        return location

    @task
    def file_a_request(self):
        listing = self.client.get("/requests/", name="requester: my requests")
        found = CSRF_TOKEN.search(listing.text)
        if not found:
            return
        self.token = found.group(1)
        self.wait()
        with self.client.post(
            "/requests/new/",
            data={"csrfmiddlewaretoken": self.token},
            name="requester: new draft",
            allow_redirects=False,
            catch_response=True,
        ) as created:
            draft = DRAFT_URL.search(created.headers.get("Location", ""))
            if created.status_code != 302 or not draft:
                created.failure(f"status {created.status_code}")
                return
        base = f"/requests/{draft.group(1)}"
        self.client.get(f"{base}/profile/", name="page /profile/")
        steps = [
            (
                f"{base}/profile/",
                "requester: profile",
                {
                    "contact_name": "Ada Tremblay",
                    "organisation": "Université de Montréal",
                    "position": "Professeure",
                    "phone": "514 555-0100",
                    "requester_category": "researcher",
                    "action": "continue",
                },
                "/project/",
            ),
            (
                f"{base}/project/",
                "requester: project",
                {
                    "title": "Recours aux services médicaux par région",
                    "purpose": "Décrire le recours aux services médicaux par région.",
                    "public_interest": "Éclairer la planification des soins.",
                    "intended_publication": "Un rapport public.",
                    "use_starts_on": "2027-01-01",
                    "use_ends_on": "2027-12-31",
                    "legal_basis": "a29_s67",
                    "ethics_approval": "obtained",
                    "ethics_reference": "CER-2027-001",
                    "action": "continue",
                },
                "/data/",
            ),
            (
                f"{base}/data/tables/new/",
                "requester: table",
                {"dataset": "medical_services", "measure": "persons", "dimensions": ["year", "region"]},
                "/data/",
            ),
            (f"{base}/data/", "requester: data step", {"action": "continue"}, "/attachments/"),
            (f"{base}/attachments/", "requester: documents step", {"action": "continue"}, "/declarations/"),
            (
                f"{base}/declarations/",
                "requester: declarations",
                {"declares_no_reidentification": "on", "declares_source_citation": "on", "action": "continue"},
                "/review/",
            ),
            (f"{base}/submit/", "requester: submit", {}, "/acknowledgement/"),
        ]
        for url, name, data, expect in steps:
            if not self._post(url, name, data, expect):
                return
