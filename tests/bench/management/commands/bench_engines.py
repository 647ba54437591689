"""``python manage.py bench_engines``: the same tables on PostgreSQL, DuckDB and chDB (``make bench-engines``).

For each warehouse size (``--rows``, about ten medical-service rows per insured
person) and each engine, on the same generated data (generated once per engine,
kept and reused while its seed and size match):

- ``build_table`` of the 4-dimension distinct-person table and of the
  4-dimension amount table, each run in a process of its own as a worker would
  (its in-process time, and that process's peak resident memory);
- the engine's own single ``GROUP BY CUBE`` of the same table
  (``query.raw_cube_sql``: every margin, no largest contributions), and the
  ratio of the two.

PostgreSQL is the ``warehouse`` database of the settings; DuckDB a file and
chDB a folder under ``var/bench/engines/``. A benchmark, not a test: it prints
a table and writes ``var/bench/engines.json``. It replaces the PostgreSQL
warehouse's data.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from stats_app import pipeline
from stats_app.catalogue import validate_specification
from stats_app.warehouse import engines, query, schema
from stats_app.warehouse.generate import GENERATOR_VERSION, generate

SPECS = {
    "persons": {
        "dataset": "medical_services",
        "measure": "persons",
        "dimensions": ["year", "region", "age_group", "sex"],
    },
    "amount": {
        "dataset": "medical_services",
        "measure": "amount_paid",
        "dimensions": ["year", "region", "age_group", "sex"],
    },
}
SERVICES_PER_PERSON = 10
ENGINES = ("postgresql", "duckdb", "chdb")


def _url(engine: str, rows: int) -> str:
    folder = Path(settings.VAR_DIR) / "bench" / "engines"
    if engine == "duckdb":
        return f"duckdb://{folder / f'warehouse_{rows}.duckdb'}"
    if engine == "chdb":
        return f"chdb://{folder / f'chdb_{rows}'}"
    return "warehouse"


def _alias(url: str) -> str:
    """The warehouse alias for ``url``: the settings' own, or one registered for the run."""
    if url == "warehouse":
        if engines.engine_for("warehouse").name != "postgresql":
            raise CommandError("The PostgreSQL run needs WAREHOUSE_URL=postgres://… (make bench-engines).")
        return "warehouse"
    if url.startswith("chdb:"):
        from tests import chdb_engine  # noqa: F401 - makes chdb:// an engine

    engines.register("bench", url)
    return "bench"


class Command(BaseCommand):
    help = "Benchmark build_table against each engine's own GROUP BY CUBE on PostgreSQL, DuckDB and chDB."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
        parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
        parser.add_argument("--seed", type=int, default=20261128)
        parser.add_argument("--output", type=Path, default=Path(settings.VAR_DIR) / "bench" / "engines.json")
        # One build_table in this process (what the run starts in a child process for each table).
        parser.add_argument("--child-url")
        parser.add_argument("--child-spec", type=Path)
        parser.add_argument("--child-out", type=Path)

    def handle(self, *args, child_url=None, **options):
        if child_url:
            self._child(child_url, options["child_spec"], options["child_out"])
            return
        results = []
        for rows in options["rows"]:
            for engine in options["engines"]:
                results.extend(self._engine(engine, rows, options["seed"]))
        output = options["output"]
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps({"specifications": SPECS, "results": results}, indent=2), encoding="utf-8")
        print_rows(self.stdout.write, results)
        self.stdout.write(f"Written to {output}")

    def _engine(self, engine: str, rows: int, seed: int) -> list[dict]:
        url = _url(engine, rows)
        alias = _alias(url)
        persons = max(1, rows // SERVICES_PER_PERSON)
        loaded = schema.snapshot(using=alias) or {}
        reused = (loaded.get("seed"), loaded.get("persons"), str(loaded.get("generator_version"))) == (
            seed,
            persons,
            str(GENERATOR_VERSION),
        )
        started = time.perf_counter()
        if not reused:
            self.stdout.write(f"{engine}: generating {persons} persons (about {rows} service rows)…")
            generate(persons=persons, seed=seed, using=alias)
        generated = None if reused else round(time.perf_counter() - started, 1)
        services = schema.snapshot(using=alias)["medical_service_rows"]
        results = []
        for name, spec in SPECS.items():
            specification = validate_specification(**spec)
            statement, params = query.raw_cube_sql(
                dataset=spec["dataset"],
                measure_kind=specification.measure.kind,
                dimensions=pipeline.domains(specification),
            )
            started = time.perf_counter()
            cube_rows = sum(1 for _row in engines.engine_for(alias).rows(statement, params))
            cube = time.perf_counter() - started
            engines.engine_for(alias).close()  # the child process opens the warehouse itself
            build, wall, peak_mib, summary = self._build_in_a_worker_process(url, spec)
            results.append(
                {
                    "engine": engine,
                    "service_rows": services,
                    "table": name,
                    "generate_seconds": generated,
                    "cube_seconds": round(cube, 2),
                    "cube_rows": cube_rows,
                    "build_table_seconds": round(build, 2),
                    "build_table_process_seconds": round(wall, 2),
                    "ratio": round(build / cube, 2) if cube else None,
                    "worker_peak_rss_mib": round(peak_mib, 1),
                    **summary,
                }
            )
            self.stdout.write(json.dumps(results[-1]))
        if alias != "warehouse":
            engines.unregister(alias)
        return results

    def _build_in_a_worker_process(self, url: str, spec: dict) -> tuple[float, float, float, dict]:
        """``build_table`` in its own process: its own time, the process's wall time and peak resident memory."""
        with tempfile.TemporaryDirectory() as folder:
            spec_path = Path(folder) / "spec.json"
            spec_path.write_text(json.dumps(spec), encoding="utf-8")
            out = Path(folder) / "out"
            timing = Path(folder) / "timing.json"
            started = time.perf_counter()
            process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "bench_engines",
                    f"--child-url={url}",
                    f"--child-spec={spec_path}",
                    f"--child-out={out}",
                ],
                cwd=settings.BASE_DIR,
                env=os.environ.copy(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            printed = process.stdout.read().decode()
            if os.waitstatus_to_exitcode(status):
                raise RuntimeError(f"build_table failed:\n{printed}")
            timing = json.loads((out.parent / "timing.json").read_text(encoding="utf-8"))
            metadata = json.loads((out / "table.json").read_text(encoding="utf-8"))
            summary = {"cells": metadata["disclosure"]["cells"], "suppressed": metadata["suppressed_cells"]}
        # os.wait4 gives the child's own resource usage; Linux reports max RSS in KiB.
        return timing["seconds"], wall, usage.ru_maxrss / 1024, summary

    def _child(self, url: str, spec: Path, out: Path) -> None:
        alias = _alias(url)
        started = time.perf_counter()
        call_command("build_table", str(spec), "--out", str(out), "--warehouse", alias, stdout=StringIO())
        seconds = time.perf_counter() - started
        (out.parent / "timing.json").write_text(json.dumps({"seconds": seconds}), encoding="utf-8")


def print_rows(write, results: list[dict]) -> None:
    write("")
    write(
        f"{'engine':<11} {'service rows':>12} {'table':<8} {'generate s':>10} {'CUBE s':>7} {'build_table s':>13} "
        f"{'ratio':>6} {'peak RSS MiB':>12} {'cells':>6} {'suppressed':>10}"
    )
    for row in results:
        generated = "reused" if row["generate_seconds"] is None else row["generate_seconds"]
        write(
            f"{row['engine']:<11} {row['service_rows']:>12,} {row['table']:<8} {generated:>10} "
            f"{row['cube_seconds']:>7} {row['build_table_seconds']:>13} {row['ratio']:>6} "
            f"{row['worker_peak_rss_mib']:>12} {row['cells']:>6} {row['suppressed']:>10}"
        )
