"""``python -m tests.runtime_imports``: import every module of the apps, as production would (``make check-runtime``).

Run in a virtualenv holding requirements.txt alone: an import of a test, lint or
benchmark package fails here, naming the module.
"""

import importlib
import os
import pkgutil
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

APPS = ("portal", "requests_app", "stats_app")


def main() -> int:
    django.setup()
    failures = []
    count = 0
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            count += 1
            try:
                importlib.import_module(module.name)
            except ImportError as error:
                failures.append(f"{module.name}: {error}")
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"{count} modules imported, {len(failures)} failed.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
