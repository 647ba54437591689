from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from portal import views
from requests_app import transparency_views

# The admin has no login of its own: it goes through allauth, hence through MFA.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Portail d'accès aux données — administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/profile/tokens/", views.api_tokens, name="api_tokens"),
    path("accounts/profile/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("requests/", include("requests_app.urls")),
    path("consultations/", include(("requests_app.custodian_urls", "consultations"))),
    path("workspace/", include("requests_app.staff_urls", namespace="workspace")),
    path("outputs/", include("requests_app.production.urls", namespace="outputs")),
    path("api/v1/", include("requests_app.api.urls", namespace="api")),
    path("transparency/", transparency_views.transparency_page, name="transparency"),
    path("publications/", include("requests_app.register_urls", namespace="register")),
]
