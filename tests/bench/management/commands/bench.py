"""``python manage.py bench`` (``make bench``): every figure of the Performance section, in one run.

1. the table job — ``bench_stats`` at 1 M and 10 M medical-service rows, each
   in a warehouse database of its own (``<warehouse>_1m`` and the warehouse),
   generated only when the one there is not that size: ``build_table`` against
   the raw ``GROUP BY``, the worker's peak memory, disclosure control alone;
2. the cases — ``generate_cases`` at 1 000 cases (``<database>_1k``) and
   100 000 (the database), generated only when not already there;
3. SQL queries and time of the queue and case pages at each size;
4. the web — gunicorn (2 workers) on loopback with the 100 000 cases, locust
   for 60 s: 20 staff browsing queues and case pages, 50 requesters filing;
5. the engines — ``bench_engines`` at 1 M service rows: ``build_table`` of the
   distinct-person and the amount tables against each engine's own ``GROUP BY
   CUBE``, on PostgreSQL, DuckDB and chDB, and the worker's peak memory;
6. disclosure control in memory (``tests/bench/disclosure.py``): ``protect`` on
   a sparse 4-D table, and ``protect_linked`` of a new 4-D table against 10, 50
   and 200 released tables of its dataset.

Each part runs in a process of its own, with the database of its size in its
environment, and hands back JSON. Prints a table; writes ``var/bench/results.json``.
``--quick`` runs a small version (about two minutes) on the small databases only.
A benchmark, not a test: it replaces the cases and warehouses of the bench databases.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from tests.bench.management.commands.bench_engines import print_rows as print_engine_rows

SEED = 20261128
OFFICERS = 50


def _url(alias: str, name: str) -> str:
    database = settings.DATABASES[alias]
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database.get("PASSWORD") else "")
    return f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"


def _create_database(alias: str, name: str) -> None:
    """``CREATE DATABASE name`` on the server of ``alias``, unless it exists."""
    database = settings.DATABASES[alias]
    with psycopg.connect(
        dbname="postgres",
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database.get("PASSWORD") or None,
        autocommit=True,
    ) as server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            server.execute(f'CREATE DATABASE "{name}"')


class Command(BaseCommand):
    help = "Run every benchmark (table job, disclosure control, cases, pages, web load); print and save the figures."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="A small version, to check the bench itself.")
        parser.add_argument("--output", type=Path, default=Path(settings.VAR_DIR) / "bench" / "results.json")
        parser.add_argument("--skip-web", action="store_true")
        # One part, in this process (what the full run starts in each child process).
        parser.add_argument("--part", choices=["stats", "engines", "cases", "pages", "web", "linked"])
        parser.add_argument("--size", type=int, default=0)
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--staff", type=int, default=20)
        parser.add_argument("--requesters", type=int, default=50)
        parser.add_argument("--json", type=Path)
        parser.add_argument("--quiet", action="store_true", help="With --part: hand back the JSON only.")

    def handle(self, *args, part: str | None, **options):
        if part == "linked":  # in memory: no database
            result = self._part_linked(**options)
            self._hand_back(result, options["json"])
            if not options.get("quiet"):
                self._print_disclosure(result)
            return
        if connections["default"].vendor != "postgresql" or connections["warehouse"].vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL and WAREHOUSE_URL (make bench).")
        if part:
            result = getattr(self, f"_part_{part}")(**options)
            self._hand_back(result, options["json"])
            return
        self._run_all(**options)

    def _hand_back(self, result: dict, path: Path | None) -> None:
        """A part's figures: into ``--json``'s file, or printed when none is given."""
        document = json.dumps(result, indent=2, default=str)
        if path is None:
            self.stdout.write(document)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document, encoding="utf-8")

    # --- the parts ---------------------------------------------------------------------------

    def _part_stats(self, *, size: int, json: Path, **options) -> dict:
        output = json.with_suffix(".stats.json")
        call_command("bench_stats", rows=[size], seed=SEED, reuse=True, output=output, stdout=self.stdout)
        return _read(output)["results"][0]

    def _part_engines(self, *, size: int, json: Path, **options) -> dict:
        output = json.with_suffix(".engines.json")
        call_command("bench_engines", rows=[size], seed=SEED, output=output, stdout=self.stdout)
        return _read(output)

    def _part_cases(self, *, size: int, **options) -> dict:
        from portal.models import AuditEvent
        from requests_app.models import DataRequest
        from tests.bench.management.commands.generate_cases import DOMAIN

        generated = DataRequest.objects.filter(requester__email__startswith="bench-requester-")
        there = generated.count()
        real = DataRequest.objects.exclude(requester__email__endswith=f"@{DOMAIN}").count()
        seconds = None
        # Cases generated before the audit trail existed have no chain: generate them again.
        chained = AuditEvent.objects.filter(target_type="requests_app.datarequest").exists()
        if there != size or real or not chained:
            started = time.perf_counter()
            call_command("generate_cases", cases=size, officers=OFFICERS, seed=SEED, stdout=self.stdout)
            seconds = round(time.perf_counter() - started, 1)
        history = DataRequest.history.model.objects.count()
        # audit_verify on the whole chain: it must hold, and its time is a figure.
        started = time.perf_counter()
        call_command("audit_verify", stdout=self.stdout)
        verify_seconds = round(time.perf_counter() - started, 1)
        return {
            "cases": generated.count(),
            "generate_seconds": seconds,
            "case_history_rows": history,
            "audit_events": AuditEvent.objects.count(),
            "audit_verify_seconds": verify_seconds,
        }

    def _part_pages(self, **options) -> dict:
        from tests.bench.pages import measure_pages

        return measure_pages(repeat=3 if options["quick"] else 5)

    def _part_web(self, *, seconds: int, staff: int, requesters: int, **options) -> dict:
        from tests.bench import web

        folder = Path(settings.VAR_DIR) / "bench" / "web"  # locust's CSV and log, gunicorn's log
        return web.run(staff=staff, requesters=requesters, seconds=seconds, workers=2, threads=4, folder=folder)

    def _part_linked(self, **options) -> dict:
        from tests.bench import disclosure

        # --quick: the same tables against fewer linked ones (sparser tables would be slower, not quicker).
        counts = [5, 10] if options["quick"] else [10, 50, 200]
        return {
            "single": disclosure.single(persons=disclosure.SPARSE_PERSONS, seed=SEED),
            "linked": disclosure.linked(persons=disclosure.LINKED_PERSONS, seed=SEED, counts=counts),
        }

    # --- the whole run ---------------------------------------------------------------------------

    def _child(self, part: str, *, env: dict | None = None, **arguments) -> dict:
        """Run one part in a process of its own, with ``env`` over this one's environment; its JSON."""
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "part.json"
            command = [sys.executable, "manage.py", "bench", f"--part={part}", f"--json={out}"]
            command += [
                f"--{name}" if value is True else f"--{name}={value}"
                for name, value in arguments.items()
                if value is not None
            ]
            if self.quick:
                command.append("--quick")
            self.stdout.write(self.style.MIGRATE_HEADING(f"· {part} {arguments or ''}"))
            subprocess.run(command, cwd=settings.BASE_DIR, env={**os.environ, **(env or {})}, check=True)
            return _read(out)

    def _run_all(self, *, quick: bool, output: Path, skip_web: bool, **options) -> None:
        self.quick = quick
        started = time.perf_counter()
        database = settings.DATABASES["default"]["NAME"]
        warehouse = settings.DATABASES["warehouse"]["NAME"]
        small = {"DATABASE_URL": _url("default", f"{database}_1k")}
        small_warehouse = {"WAREHOUSE_URL": _url("warehouse", f"{warehouse}_1m")}
        _create_database("default", f"{database}_1k")
        _create_database("warehouse", f"{warehouse}_1m")
        environment = {**os.environ, **small}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=settings.BASE_DIR,
            env=environment,
            check=True,
        )
        # DEBUG=0 pages name their static files from the manifest collectstatic writes.
        call_command("collectstatic", interactive=False, verbosity=0)

        results = {"started_at": timezone.now().isoformat(), "quick": quick, "cpus": os.cpu_count()}
        if quick:
            results["table_job"] = [self._child("stats", env=small_warehouse, size=200_000)]
            sizes = [("1k", small, 1_000)]
        else:
            results["table_job"] = [
                self._child("stats", env=small_warehouse, size=1_000_000),
                self._child("stats", size=10_000_000),
            ]
            sizes = [("1k", small, 1_000), ("100k", {}, 100_000)]
        results["engines"] = self._child("engines", env=small_warehouse, size=200_000 if quick else 1_000_000)
        results["cases"] = {label: self._child("cases", env=env, size=size) for label, env, size in sizes}
        results["pages"] = {label: self._child("pages", env=env) for label, env, _size in sizes}
        if not skip_web:
            label, env, _size = sizes[-1]
            results["web"] = self._child(
                "web",
                env=env,
                seconds=15 if quick else options["seconds"],
                staff=5 if quick else options["staff"],
                requesters=10 if quick else options["requesters"],
            )
            results["web"]["cases"] = label
        results["disclosure"] = self._child("linked", quiet=True)
        results["total_seconds"] = round(time.perf_counter() - started, 1)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        self._print(results)
        self.stdout.write(f"Written to {output}")

    # --- the table -----------------------------------------------------------------------------

    def _print(self, results: dict) -> None:
        write = self.stdout.write
        write("")
        write(self.style.MIGRATE_HEADING("Table job: build_table vs the raw GROUP BY (4 dimensions)"))
        write(
            f"{'service rows':>13} {'generate s':>10} {'GROUP BY s':>10} {'build_table s':>13} {'ratio':>6} "
            f"{'peak RSS MiB':>12} {'cells':>6} {'suppressed':>10}"
        )
        for row in results["table_job"]:
            generated = "reused" if row["reused_warehouse"] else row["generate_seconds"]
            write(
                f"{row['service_rows']:>13,} {generated:>10} {row['raw_group_by_seconds']:>10} "
                f"{row['build_table_seconds']:>13} {row['ratio']:>6} {row['worker_peak_rss_mib']:>12} "
                f"{row['table']['cells']:>6} {row['table']['suppressed']:>10}"
            )
        write(self.style.MIGRATE_HEADING("Disclosure control alone (protection + audit)"))
        for row in results["table_job"]:
            alone = row["disclosure_alone"]
            write(
                f"{row['service_rows']:>13,} rows: {alone['cells']} cells, {alone['suppressed']} suppressed, "
                f"{alone['seconds']} s ({alone['method']}, audit {'passed' if alone['audit_passed'] else 'FAILED'})"
            )
        write(self.style.MIGRATE_HEADING("Engines: build_table vs the engine's own GROUP BY CUBE (4 dimensions)"))
        print_engine_rows(write, results["engines"]["results"])
        self._print_disclosure(results["disclosure"])
        write(self.style.MIGRATE_HEADING("Cases"))
        for label, row in results["cases"].items():
            generated = "reused" if row["generate_seconds"] is None else f"{row['generate_seconds']} s"
            write(f"{label:>5}: {row['cases']:,} cases, {row['case_history_rows']:,} case history rows, {generated}")
            if "audit_events" in row:
                write(f"       audit_verify: {row['audit_events']:,} events hold, {row['audit_verify_seconds']} s")
        write(self.style.MIGRATE_HEADING("Pages: SQL queries and median time"))
        labels = list(results["pages"])
        write(f"{'page':<38}" + "".join(f"{label + ' queries':>14}{label + ' ms':>10}" for label in labels))
        for name in results["pages"][labels[0]]["pages"]:
            cells = ""
            for label in labels:
                page = results["pages"][label]["pages"][name]
                cells += f"{page['queries']:>14}{page['median_ms']:>10}"
            write(f"{name:<38}{cells}")
        if "web" in results:
            web = results["web"]
            write(
                self.style.MIGRATE_HEADING(
                    f"Web: gunicorn {web['gunicorn']}, {web['seconds']} s, {web['staff_users']} staff + "
                    f"{web['requester_users']} requesters, {web['cases']} cases"
                )
            )
            write(f"{'request':<34}{'count':>8}{'errors':>8}{'rps':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
            for name, row in [*web["by_request"].items(), ("all", web["all"])]:
                write(
                    f"{name:<34}{row['requests']:>8}{row['errors']:>8}{row['rps']:>8}"
                    f"{row['p50_ms']:>9.0f}{row['p95_ms']:>9.0f}{row['p99_ms']:>9.0f}"
                )
            write(f"Requests submitted during the run: {web['requests_submitted']}")
        write(self.style.SUCCESS(f"make bench: {results['total_seconds']} s"))

    def _print_disclosure(self, disclosure: dict) -> None:
        write = self.stdout.write
        single = disclosure["single"]
        write(self.style.MIGRATE_HEADING("Disclosure control in memory: the sparse 4-D table alone"))
        write(
            f"{single['cells']} cells, {single['small_cells']} small: {single['seconds']} s "
            f"({single['cpu_seconds']} s CPU), {single['suppressed']} suppressed counting {single['suppressed_value']}"
            f" (audit {'passed' if single['audit_passed'] else 'FAILED'})"
        )
        linked = disclosure["linked"]
        write(
            self.style.MIGRATE_HEADING(
                f"Linked protection: a new 4-D table of {linked['cells']} cells ({linked['small_cells']} small)"
            )
        )
        write(f"{'linked tables':>13} {'overlapping':>11} {'nodes':>6} {'cells':>6} {'extra suppressed':>16} {'s':>7}")
        for row in linked["cases"]:
            if "refused" in row:
                write(f"{row['linked_tables']:>13} refused: {row['refused']}")
                continue
            write(
                f"{row['linked_tables']:>13} {row['tables_in_program']:>11} {row['nodes']:>6} {row['cells']:>6} "
                f"{row['extra_suppressed']:>16} {row['seconds']:>7}"
            )


def _read(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
