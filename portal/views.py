from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from portal import tokens
from portal.forms import ApiTokenForm, ProfileForm
from portal.health import check_services


def home(request):
    if request.user.is_authenticated and not request.user.is_agency_staff:
        return redirect("requests_app:list")
    return render(request, "portal/home.html")


@never_cache
def healthz(request):
    """JSON state of the database, the broker and the warehouse; 503 when one is down."""
    report = check_services()
    healthy = all(part["ok"] for part in report.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", **report}, status=200 if healthy else 503)


@require_POST
def set_language(request):
    """Django's language switch, also remembered on the signed-in user's account."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in ("fr", "en") and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """Every signed-in person's language and choice of optional e-mails."""
    form = ProfileForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        with translation.override(user.language):
            messages.success(request, _("Your preferences are saved."))
        return redirect("profile")
    return render(request, "portal/profile.html", {"form": form, "essential": form.essential})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """The person's API tokens: make one (its secret is shown on this answer only), list them, revoke one."""
    may_hold = tokens.user_can_hold_tokens(request.user)
    form = ApiTokenForm(request.POST or None)
    secret = None
    if request.method == "POST":
        if not may_hold:
            raise PermissionDenied
        if form.is_valid():
            try:
                token, secret = tokens.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_at=form.expires_at(),
                )
            except ValidationError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("The token “%(name)s” is created.") % {"name": token.name})
                form = ApiTokenForm()
    context = {
        "form": form if may_hold else None,
        "secret": secret,
        "tokens": tokens.tokens_of(request.user),
        "now": timezone.now(),
    }
    return render(request, "portal/api_tokens.html", context)


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = get_object_or_404(tokens.tokens_of(request.user), pk=pk)
    tokens.api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token “%(name)s” is revoked: it opens nothing any more.") % {"name": token.name})
    return redirect("api_tokens")
