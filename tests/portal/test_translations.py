"""French comes first: every message of the project has a French translation, and none is a guess.

The catalogue is extracted again from the source (``makemessages``) in a copy of
the project, so a new ``gettext`` call or ``{% translate %}`` left untranslated
fails here, not in front of a francophone requester.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("manage.py", "portal", "requests_app", "stats_app", "templates", "locale")


def _messages(po: Path, flag: str) -> list[str]:
    """The msgids ``msgattrib`` keeps with ``flag`` (``--untranslated`` or ``--only-fuzzy``), header aside."""
    output = subprocess.run(
        ["msgattrib", flag, "--no-obsolete", "--no-wrap", str(po)],  # noqa: S607 - gettext, installed by .ci/run
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line[len("msgid ") :] for line in output.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


@pytest.fixture(scope="module")
def extracted_catalogue(tmp_path_factory) -> Path:
    if shutil.which("msgattrib") is None:
        pytest.fail("gettext is not installed: run `apt-get install -y gettext` (.ci/run does).")
    copy = tmp_path_factory.mktemp("project")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete", "-v0"],
        cwd=copy,
        check=True,
        env={"PATH": os.environ["PATH"], "DEBUG": "1", "VAR_DIR": str(copy / "var")},
    )
    return copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_every_message_of_the_project_has_a_french_translation(extracted_catalogue):
    assert _messages(extracted_catalogue, "--untranslated") == []


def test_no_french_translation_is_a_fuzzy_guess(extracted_catalogue):
    assert _messages(extracted_catalogue, "--only-fuzzy") == []


def test_the_committed_catalogue_holds_every_message_of_the_source(extracted_catalogue):
    committed = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    extracted = set(_messages(extracted_catalogue, "--translated")) | set(
        _messages(extracted_catalogue, "--untranslated")
    )
    known = set(_messages(committed, "--translated")) | set(_messages(committed, "--untranslated"))
    assert sorted(extracted - known) == []


#: The names makemessages extracts; a translation function imported under another name hides its messages.
EXTRACTED_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


def test_translation_functions_keep_names_that_makemessages_extracts():
    aliased = re.compile(r"from django\.utils\.translation import [^\n]*\b\w+ as (\w+)")
    hidden = [
        f"{path.relative_to(ROOT)}: {name}"
        for folder in ("portal", "requests_app", "stats_app")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for name in aliased.findall(path.read_text(encoding="utf-8"))
        if name not in EXTRACTED_NAMES
    ]
    assert not hidden, "these names are not extracted by makemessages: " + ", ".join(hidden)
