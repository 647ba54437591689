"""Bilingual fields: catalogue and legal texts are stored in French and English."""

from django.utils.translation import get_language


def pick(obj, field: str) -> str:
    """Return ``obj.<field>_en`` when the active language is English, else the French text."""
    language = (get_language() or "fr")[:2]
    value = getattr(obj, f"{field}_{language}", "") if language in ("fr", "en") else ""
    return value or getattr(obj, f"{field}_fr")


class BilingualNameMixin:
    """``name`` and ``description`` in the active language."""

    @property
    def name(self) -> str:
        return pick(self, "name")

    @property
    def description(self) -> str:
        return pick(self, "description")

    @property
    def label(self) -> str:
        return pick(self, "label")
