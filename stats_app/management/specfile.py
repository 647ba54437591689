"""SPEC.json, as the management commands read it: one reader, so that every command refuses the same files.

``build_table`` builds the table a specification asks for; ``import_release``
records a table published with it. Both take the specification through the
catalogue (``validate_specification``): a file it refuses stops the command
with the catalogue's reasons, before the warehouse is read.
"""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from stats_app.catalogue import ResolvedSpecification, validate_specification

SPEC_KEYS = {"dataset", "measure", "dimensions", "filters"}


def read_specification(path: Path) -> ResolvedSpecification:
    """The catalogue's reading of the specification in ``path``; ``CommandError`` saying why it cannot be one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CommandError(f"{path} is not valid JSON: {error}.") from error
    if not isinstance(document, dict):
        raise CommandError("The specification must be a JSON object with dataset, measure and dimensions.")
    unknown = sorted(set(document) - SPEC_KEYS)
    if unknown:
        raise CommandError(f"Unknown keys in the specification: {', '.join(unknown)}. Allowed: {sorted(SPEC_KEYS)}.")
    missing = sorted({"dataset", "measure", "dimensions"} - set(document))
    if missing:
        raise CommandError(f"The specification lacks: {', '.join(missing)}.")
    try:
        return validate_specification(
            dataset=document["dataset"],
            measure=document["measure"],
            dimensions=document["dimensions"],
            filters=document.get("filters"),
        )
    except ValidationError as error:
        lines = [f"{field}: {message}" for field, messages in error.message_dict.items() for message in messages]
        raise CommandError("The catalogue refuses this specification:\n  " + "\n  ".join(lines)) from error
