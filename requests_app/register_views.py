"""The public register of releases: search, one table, its CSV, an Atom feed; no sign-in, no JavaScript.

What is shown comes from ``requests_app.register``. "Request this same table"
is the one action, and it needs a requester's account.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from requests_app import permissions, register, services
from requests_app.forms import PortalForm
from requests_app.production import selectors as production_selectors
from requests_app.production.jobs import output_folder
from stats_app import outputs

#: Tables on each page of the register.
PER_PAGE = 25


class SearchForm(PortalForm):
    """The register's search: words, then filters; every field optional, unknown choices named."""

    q = forms.CharField(label=gettext_lazy("Words"), required=False, max_length=200)
    dataset = forms.ChoiceField(label=gettext_lazy("Dataset"), required=False)
    dimension = forms.ChoiceField(label=gettext_lazy("Broken down by"), required=False)
    year = forms.ChoiceField(label=gettext_lazy("Year"), required=False)
    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)

    def __init__(self, *args, choices: dict[str, list[tuple[str, str]]], **kwargs):
        super().__init__(*args, **kwargs)
        for name, options in choices.items():
            self.fields[name].choices = [("", _("Any")), *options]
            self.fields[name].error_messages["invalid_choice"] = _("Choose one of the listed values, or “Any”.")
        for field in self.fields.values():
            field.required_for_submission = False

    def query(self) -> register.Search:
        data = self.cleaned_data
        return register.Search(
            text=data.get("q", ""),
            dataset=data.get("dataset", ""),
            dimension=data.get("dimension", ""),
            year=data.get("year", ""),
            region=data.get("region", ""),
        )


@require_safe
def publication_list(request):
    form = SearchForm(request.GET or None, choices=register.filter_choices())
    if not form.is_bound:
        found = register.search(register.Search())
    else:
        found = register.search(form.query()) if form.is_valid() else []
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(
        request,
        "register/list.html",
        {"form": form, "page": page, "found": len(found), "query_string": kept.urlencode(), "section": "register"},
    )


@require_safe
def publication_detail(request, pk: int):
    publication = register.get_publication(pk)
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    preview = production_selectors.preview(publication.job, page=page)
    return render(
        request,
        "register/detail.html",
        {"publication": publication, "preview": preview, "section": "register"},
    )


#: The released files anyone may download: the table and its legend (the XLSX and table.json name the request).
PUBLIC_FILES = (outputs.CSV_NAME, outputs.LEGEND_NAME)


@require_safe
def publication_download(request, pk: int, file_name: str = outputs.CSV_NAME):
    """The released CSV (codes, labels, values and flags) or its legend: nothing about who asked or who checked."""
    publication = register.get_publication(pk)
    path = output_folder(publication.job) / file_name
    if file_name not in PUBLIC_FILES or not path.is_file():
        raise Http404
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=f"publication-{pk}-{file_name}", content_type="text/csv"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def publication_text(request, pk: int):
    """The table as plain text, one line per value naming its categories: an accessible format."""
    publication = register.get_publication(pk)
    body = production_selectors.plain_text(
        publication.job, title=f"{publication.row.measure} — {publication.row.dataset}"
    )
    if body is None:
        raise Http404
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="publication-{pk}-{production_selectors.TEXT_NAME}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def publication_request(request, pk: int):
    """A new draft holding the same table, for a requester to adjust and send."""
    publication = register.get_publication(pk)
    if not permissions.user_can_file_requests(request.user):
        messages.error(request, _("Staff accounts do not file requests. Sign in with a requester's account."))
        return redirect("register:detail", pk=pk)
    try:
        case = services.request_from_publication(
            requester=request.user,
            specification=publication.job.specification,
            dataset=publication.job.table.dataset,
            measure=publication.job.table.measure,
        )
    except (ValidationError, PermissionDenied):
        messages.error(
            request, _("This table can no longer be requested as it is: its data changed since. Start a new request.")
        )
        return redirect("register:detail", pk=pk)
    messages.success(
        request,
        _("Your draft holds the same table. Complete your profile and project, then send it."),
    )
    return redirect(reverse("requests_app:profile", kwargs={"pk": case.pk}))


class PublicationFeed(Feed):
    """The register's latest tables, as an Atom feed."""

    feed_type = Atom1Feed

    def title(self):
        return _("Released statistics: the public register")

    def link(self):
        return reverse("register:list")

    def subtitle(self):
        return _("Tables the agency released in answer to access requests, once public.")

    def items(self):
        return register.search(register.Search())[:50]

    def item_title(self, item: register.Publication):
        return f"{item.row.measure} — {item.row.dataset}"

    def item_description(self, item: register.Publication):
        by = ", ".join(item.row.dimensions) or _("grand total")
        return _("%(measure)s by %(dimensions)s; published on %(date)s.") % {
            "measure": item.row.measure,
            "dimensions": by,
            "date": date_format(item.published_on, "DATE_FORMAT"),
        }

    def item_link(self, item: register.Publication):
        return reverse("register:detail", kwargs={"pk": item.pk})

    def item_pubdate(self, item: register.Publication):
        return item.job.released_at
