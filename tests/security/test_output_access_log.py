"""Outputs: the checker's page and each file downloaded are in the access log; a stranger's try is not."""

import pytest
from django.urls import reverse

from portal.models import AccessLog
from portal.roles import Role
from requests_app.models import Status
from requests_app.production import jobs
from requests_app.production.models import OutputDownload
from tests import factories
from tests.security.conftest import client_for

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]


def test_output_page_and_download_are_logged_and_a_strangers_try_is_not():
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    job = factories.make_request(status=Status.OUTPUT_CHECKING).table_jobs.get()
    assert client_for(checker).get(reverse("outputs:detail", kwargs={"pk": job.pk})).status_code == 200
    jobs.output_release(attested=jobs.CHECKLIST, job=job, actor=checker)
    download = reverse("outputs:download", kwargs={"pk": job.pk, "file_name": "table.csv"})

    assert client_for(factories.make_user()).get(download).status_code == 404
    response = client_for(job.request.requester).get(download)

    assert response.status_code == 200
    b"".join(response.streaming_content)
    logged = list(AccessLog.objects.order_by("pk").values_list("user", "view_name", "object_type", "object_id"))
    assert logged == [
        (checker.pk, "outputs:detail", "requests_app.tablejob", str(job.pk)),
        (job.request.requester_id, "outputs:download", "requests_app.tablejob", str(job.pk)),
    ]
    assert OutputDownload.objects.filter(job=job).count() == 1
