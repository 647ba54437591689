"""``/api/v1/`` (namespace ``api``): the endpoints, the OpenAPI schema and its Swagger UI.

The UI is drf-spectacular-sidecar's copy, from our static files; its start-up script is a file too
(the "split" view), so the page keeps the portal's CSP. Redoc is left out: its page loads Google fonts.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from requests_app.api import views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[AllowAny]),
        name="docs",
    ),
    path("catalogue/datasets/", views.DatasetList.as_view(), name="dataset-list"),
    path("catalogue/datasets/<str:code>/", views.DatasetDetail.as_view(), name="dataset-detail"),
    path("requests/", views.RequestList.as_view(), name="request-list"),
    path("requests/<int:pk>/", views.RequestDetail.as_view(), name="request-detail"),
    path("requests/<int:pk>/tables/", views.TableList.as_view(), name="table-list"),
    path("requests/<int:pk>/tables/<int:table_pk>/", views.TableDetail.as_view(), name="table-detail"),
    path("requests/<int:pk>/documents/", views.DocumentList.as_view(), name="document-list"),
    path("requests/<int:pk>/submit/", views.Submit.as_view(), name="submit"),
    path("requests/<int:pk>/messages/", views.MessageList.as_view(), name="message-list"),
    path("requests/<int:pk>/clarification/", views.ClarificationAnswer.as_view(), name="clarification-answer"),
    path("requests/<int:pk>/withdraw/", views.Withdraw.as_view(), name="withdraw"),
    path(
        "requests/<int:pk>/outputs/<int:job_pk>/files/<str:file_name>",
        views.OutputFile.as_view(),
        name="output-file",
    ),
    path("publications/", views.PublicationList.as_view(), name="publication-list"),
    path("publications/<int:pk>/", views.PublicationDetail.as_view(), name="publication-detail"),
    path("workspace/queues/", views.QueueList.as_view(), name="queue-list"),
    path("workspace/queues/<str:queue>/", views.QueueCases.as_view(), name="queue-cases"),
    path("outputs/queue/", views.OutputQueue.as_view(), name="output-queue"),
    # Anything else under /api/v1/ is a JSON 404, as clients expect, not the site's HTML page.
    re_path(r"^", views.NotFound.as_view(), name="not-found"),
]
