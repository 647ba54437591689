"""The catalogue in the admin: staff with the catalogue permissions edit it; every change is kept."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin import HistoryAdmin
from stats_app.models import Category, Custodian, Dataset, Dimension, Measure


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0
    fields = ("code", "name_fr", "name_en", "kind")


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ("code", "label_fr", "label_en", "order")


@admin.register(Custodian)
class CustodianAdmin(HistoryAdmin):
    list_display = ("code", "name_fr", "name_en", "is_agency", "contact_email")
    list_filter = ("is_agency",)
    search_fields = ("code", "name_fr", "name_en", "contact_email")


@admin.register(Dataset)
class DatasetAdmin(HistoryAdmin):
    list_display = ("code", "name_fr", "name_en", "custodian", "is_active", "disclosure_policy", "threshold")
    list_filter = ("is_active", "custodian", "disclosure_policy")
    search_fields = ("code", "name_fr", "name_en", "custodian__code", "custodian__name_fr", "custodian__name_en")
    list_select_related = ("custodian",)
    filter_horizontal = ("dimensions",)
    inlines = [MeasureInline]
    fieldsets = (
        (None, {"fields": ("code", "name_fr", "name_en", "description_fr", "description_en", "custodian")}),
        (_("Offer"), {"fields": ("is_active", "dimensions")}),
        (
            _("Disclosure control"),
            {
                "fields": (
                    "disclosure_policy",
                    "threshold",
                    "publish_zeros",
                    "dominance_n",
                    "dominance_k",
                    "p_percent",
                    "protection_level",
                    "rounding_base",
                )
            },
        ),
    )


@admin.register(Measure)
class MeasureAdmin(HistoryAdmin):
    list_display = ("code", "name_fr", "name_en", "dataset", "kind")
    list_filter = ("kind", "dataset")
    search_fields = ("code", "name_fr", "name_en", "dataset__code")
    list_select_related = ("dataset",)


@admin.register(Dimension)
class DimensionAdmin(HistoryAdmin):
    list_display = ("code", "label_fr", "label_en")
    search_fields = ("code", "label_fr", "label_en")
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(HistoryAdmin):
    list_display = ("dimension", "code", "label_fr", "label_en", "order")
    list_filter = ("dimension",)
    search_fields = ("code", "label_fr", "label_en", "dimension__code")
    list_select_related = ("dimension",)
    ordering = ("dimension__code", "order", "code")
