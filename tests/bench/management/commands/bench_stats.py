"""``python manage.py bench_stats``: the table pipeline against the raw ``GROUP BY``, at several warehouse sizes.

For each size: generate the warehouse (about ten medical-service rows per
insured person), then, in the same run and on the same data, time

- the raw single ``GROUP BY`` of the table's finest cells (the floor: what any
  SQL client would pay for the bare numbers), and
- ``build_table`` for the same 4-dimension table — margins, distinct-person
  counts per margin, disclosure control, audit and the three files — run as a
  separate process, as a worker would, so that its peak memory (max RSS) is its
  own;

and, apart, disclosure control alone (protection and its audit) on that
table once computed: its time and the cells it suppressed.

With ``--reuse``, a warehouse already generated with the same seed and size
is kept rather than generated again.

A benchmark, not a test (``make bench-stats``): it prints a table and writes
``var/bench/stats.json``. It replaces the warehouse of ``--using``.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections

from stats_app import pipeline
from stats_app.catalogue import validate_specification
from stats_app.disclosure import protect
from stats_app.warehouse import query, schema
from stats_app.warehouse.generate import GENERATOR_VERSION, generate

SPEC = {
    "dataset": "medical_services",
    "measure": "persons",
    "dimensions": ["year", "region", "age_group", "sex"],
}
SERVICES_PER_PERSON = 10


def _count(using: str, table: str) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - a constant table name
        return cursor.fetchone()[0]


class Command(BaseCommand):
    help = "Benchmark build_table against the raw GROUP BY on generated warehouses (replaces the warehouse)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rows",
            type=int,
            nargs="+",
            default=[1_000_000, 10_000_000],
            help="Medical-service rows to generate for each run (about ten per person).",
        )
        parser.add_argument("--seed", type=int, default=20261128)
        parser.add_argument("--using", default="warehouse")
        parser.add_argument("--output", type=Path, default=Path(settings.VAR_DIR) / "bench" / "stats.json")
        parser.add_argument(
            "--reuse", action="store_true", help="Keep a warehouse already generated with this seed and size."
        )

    def handle(self, *args, rows: list[int], seed: int, using: str, output: Path, reuse: bool, **options):
        results = []
        for target in rows:
            persons = max(1, target // SERVICES_PER_PERSON)
            loaded = schema.snapshot(using=using) or {}
            reused = reuse and (loaded.get("seed"), loaded.get("persons"), str(loaded.get("generator_version"))) == (
                seed,
                persons,
                str(GENERATOR_VERSION),
            )
            started = time.perf_counter()
            if reused:
                self.stdout.write(f"Reusing the warehouse of {persons} persons already loaded.")
            else:
                self.stdout.write(f"Generating {persons} persons (about {target} service rows)…")
                generate(persons=persons, seed=seed, using=using)
            generated = time.perf_counter() - started
            services = _count(using, "medical_service")

            specification = validate_specification(**SPEC)
            domains = pipeline.domains(specification)
            started = time.perf_counter()
            cells = query.raw_group_by(
                dataset=SPEC["dataset"], measure_kind="distinct_persons", dimensions=domains, using=using
            )
            raw = time.perf_counter() - started

            build, peak_mib, summary = self._build_in_a_worker_process()
            disclosure = self._disclosure_alone(specification, domains, using)
            results.append(
                {
                    "service_rows": services,
                    "persons": persons,
                    "reused_warehouse": reused,
                    "generate_seconds": None if reused else round(generated, 1),
                    "raw_group_by_seconds": round(raw, 2),
                    "raw_group_by_cells": cells,
                    "build_table_seconds": round(build, 2),
                    "ratio": round(build / raw, 2) if raw else None,
                    "worker_peak_rss_mib": round(peak_mib, 1),
                    "table": summary,
                    "disclosure_alone": disclosure,
                }
            )
            self.stdout.write(json.dumps(results[-1]))

        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps({"specification": SPEC, "results": results}, indent=2), encoding="utf-8")
        self.stdout.write("")
        self.stdout.write(
            f"{'service rows':>13} {'generate s':>10} {'GROUP BY s':>10} {'build_table s':>13} {'ratio':>6} "
            f"{'peak RSS MiB':>12} {'cells':>6} {'suppressed':>10} {'disclosure s':>12}"
        )
        for result in results:
            generated = "reused" if result["reused_warehouse"] else result["generate_seconds"]
            self.stdout.write(
                f"{result['service_rows']:>13,} {generated:>10} {result['raw_group_by_seconds']:>10} "
                f"{result['build_table_seconds']:>13} {result['ratio']:>6} {result['worker_peak_rss_mib']:>12} "
                f"{result['table'].get('cells', ''):>6} {result['table'].get('suppressed', ''):>10} "
                f"{result['disclosure_alone']['seconds']:>12}"
            )
        self.stdout.write(f"Written to {output}")

    def _disclosure_alone(self, specification, domains, using: str) -> dict:
        """Disclosure control by itself — protection, then its independent audit — on the computed table."""
        dataset = specification.dataset
        table = query.compute_table(
            dataset=dataset.code,
            measure_kind=specification.measure.kind,
            dimensions=domains,
            top_n=max(dataset.dominance_n, 2),
            using=using,
        )
        policy = pipeline.policy_for(dataset, seed=pipeline.rounding_seed(specification, schema.snapshot(using=using)))
        started = time.perf_counter()
        protected = protect(table, policy)
        elapsed = time.perf_counter() - started
        report = protected.report
        return {
            "seconds": round(elapsed, 2),
            "cells": report.cells,
            "suppressed": report.suppressed,
            "suppressed_by_rule": report.suppressed_by_rule,
            "audit_passed": report.audit_passed,
            "method": report.method,
        }

    def _build_in_a_worker_process(self) -> tuple[float, float, dict]:
        """``build_table`` in its own process: wall time and that process's peak resident memory."""
        with tempfile.TemporaryDirectory() as folder:
            spec = Path(folder) / "spec.json"
            spec.write_text(json.dumps(SPEC), encoding="utf-8")
            out = Path(folder) / "out"
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "manage.py", "build_table", str(spec), "--out", str(out)],
                cwd=settings.BASE_DIR,
                env=os.environ.copy(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - started
            printed = process.stdout.read().decode()
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode:
                raise RuntimeError(f"build_table failed:\n{printed}")
            metadata = json.loads((out / "table.json").read_text(encoding="utf-8"))
            summary = {"cells": metadata["disclosure"]["cells"], "suppressed": metadata["suppressed_cells"]}
        # os.wait4 gives the child's own resource usage; Linux reports max RSS in KiB.
        peak_mib = usage.ru_maxrss / 1024
        return elapsed, peak_mib, summary
