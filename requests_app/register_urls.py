"""The public register of releases, mounted at ``/publications/`` (namespace ``register``)."""

from django.urls import path

from requests_app import register_views
from stats_app import outputs

app_name = "register"

urlpatterns = [
    path("", register_views.publication_list, name="list"),
    path("feed/", register_views.PublicationFeed(), name="feed"),
    path("<int:pk>/", register_views.publication_detail, name="detail"),
    path("<int:pk>/table.csv", register_views.publication_download, name="download"),
    path("<int:pk>/legend.csv", register_views.publication_download, {"file_name": outputs.LEGEND_NAME}, name="legend"),
    path("<int:pk>/table.txt", register_views.publication_text, name="text"),
    path("<int:pk>/request/", register_views.publication_request, name="request"),
]
