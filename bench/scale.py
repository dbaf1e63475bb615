"""The scale benchmark: `make bench` (or `.venv/bin/python bench/scale.py`) writes docs/benchmarks.md.

For each database in BENCH_DATABASES and each size in BENCH_SIZES it creates a scratch database, migrates it, seeds
it with `manage.py seed_scale --incidents N`, then measures the pages and operations of the scale issue in a child
process started in production mode (DJANGO_DEBUG=false: cached templates, the manifest static files of a
`collectstatic` run, WhiteNoise, HTTPS), each case beside a floor measured in the same run (a raw SQL query of the same
rows, `values()` + `json.dumps`, a bare COPY, an empty view through the same middleware). The cases are in
`bench/scale_cases.py`. Finally it writes a Markdown report: a table per database with median, p95, queries, the
floor, the ratio to the floor, and the issue's target with pass/miss; the machine, date and commit; how to reproduce.

Environment (all optional):
  BENCH_SIZES          incidents per run, space- or comma-separated (default "1000 10000 100000")
  BENCH_DATABASES      "sqlite postgresql" (default both)
  BENCH_CASES          case names or groups (api admin dashboard audit pdf intake verify blast); default all
  BENCH_REPEAT         timed runs per case (default 20), after BENCH_WARMUP untimed ones (default 3)
  BENCH_SLOW_REPEAT    timed runs of the slow cases (PDF, verify_audit_trail; default 3), BENCH_SLOW_WARMUP (1)
  BENCH_OUTPUT         the report (default docs/benchmarks.md)
  BENCH_TITLE_NOTE     a line under the report's title (e.g. "Sample run on a loaded machine")
  BENCH_SEED           the seed of seed_scale's random generator (default 1)
  BENCH_GRAPH_COMPONENTS  components of the blast-radius graph (default 10000, with about 5 edges each); the
                       graph does not depend on the incidents, so it is built and measured at the largest size only
  BENCH_INTAKE_THREADS / BENCH_INTAKE_SECONDS  client threads and seconds of the alert-intake load (4, 10)
  BENCH_PG_OWNER_URL   PostgreSQL role that creates, owns and migrates the scratch databases (default
                       postgres://portal_ci_owner@127.0.0.1:5432; needs CREATEDB), as .ci/run does
  BENCH_PG_RUNTIME_URL the runtime role the portal serves with (default postgres://portal_ci_runtime@127.0.0.1:5432)
  BENCH_PG_TEMPLATES   seeded PostgreSQL databases to copy instead of seeding, e.g. "100000=scale_100k" (the owner
                       role must own them; the copy is migrated, never the original)
  BENCH_SQLITE_TEMPLATES  seeded SQLite files to copy instead of seeding, e.g. "100000=var/scale_100k.sqlite3"
                       (copied with SQLite's backup API; the copy is migrated, never the original)
  BENCH_KEEP=1         keep the scratch databases (their names are printed; SQLite files in var/bench/)
  BENCH_STATIC_ROOT    collectstatic's folder to keep between runs (default: a temporary one; collectstatic in
                       production mode takes a minute or more, and is skipped when this folder has its manifest)
  BENCH_RESULTS_JSON   also write every measurement as JSON to this file
  BENCH_PARTS          the focused benchmarks run once per database, their output added to the report (default
                       "blast_radius audit_chain aibom_import"; "none" skips them); BENCH_AIBOM_COMPONENTS (25000)

A case that fails is reported as an error and makes the run exit with status 1 (after the report is written):
`.ci/run` runs a smoke of every case at 1,000 incidents this way.

`bench/scale.py --combine OUTPUT RESULTS.json...` writes one report from runs saved with BENCH_RESULTS_JSON (e.g.
each database measured on its own). `--measure CONFIG.json` is the child process (internal).
"""

import contextlib
import json
import os
import platform
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

from scale_cases import ALL_CASES, CASE_GROUPS, TARGETS  # noqa: E402

LABELS = {
    "api_list_page1": "API incident list, page 1",
    "api_list_middle": "API incident list, middle page (`?page=`)",
    "api_list_last": "API incident list, last page (`?page=`)",
    "api_list_cursor": "API incident list, a page reached by cursor",
    "api_list_cursor_deep": "API incident list, a cursor in the middle",
    "api_incident": "API one incident",
    "admin_incidents": "admin incident changelist",
    "admin_obligations": "admin obligation changelist",
    "admin_deadline_board": "admin deadline board",
    "admin_evidence": "admin evidence changelist",
    "admin_incident_change": "admin incident change page",
    "dashboard": "`/dashboard/`",
    "dashboard_csv": "`/dashboard/metrics.csv`",
    "audit_incident": "`/audit/incidents/<ref>/`",
    "pdf_production": "notification PDF, production path",
    "pdf_render": "notification PDF, in-process render",
    "alert_intake": "alert intake, new incident",
    "verify_audit_trail": "`verify_audit_trail` (whole)",
    "verify_audit_trail_incremental": "`verify_audit_trail --incremental`",
    "blast_radius": "blast radius from the root",
}
SQLITE_FACTOR = 2  # the issue: SQLite at most 2x the PostgreSQL targets


def env_list(name, default):
    return [item for item in os.environ.get(name, default).replace(",", " ").split() if item]


def env_number(name, default, kind=int):
    value = os.environ.get(name, "")
    try:
        return kind(value) if value else default
    except ValueError:
        raise SystemExit(f"{name}: {value!r} is not a number.") from None


def selected_cases(names):
    unknown = [n for n in names if n not in CASE_GROUPS and n not in ALL_CASES]
    if unknown:
        raise SystemExit(f"BENCH_CASES: unknown {', '.join(unknown)}; cases are groups "
                         f"({', '.join(CASE_GROUPS)}) or names ({', '.join(ALL_CASES)}).")
    wanted = {case for n in names for case in CASE_GROUPS.get(n, [n])}
    return [case for case in ALL_CASES if case in wanted] if names else list(ALL_CASES)


SEED_TARGET_SECONDS = 300  # seed_scale --incidents 100000 on PostgreSQL


def settings_from_env():
    given = env_list("BENCH_SIZES", "1000 10000 100000")
    sizes = [int(s) for s in given if s.isdigit() and int(s) > 0]
    if not sizes or len(sizes) != len(given):
        raise SystemExit("BENCH_SIZES: give positive whole numbers of incidents, e.g. \"1000 10000\".")
    databases = env_list("BENCH_DATABASES", "sqlite postgresql")
    if bad := [d for d in databases if d not in ("sqlite", "postgresql")]:
        raise SystemExit(f"BENCH_DATABASES: {', '.join(bad)} unknown; use sqlite and/or postgresql.")
    templates = {"postgresql": {}, "sqlite": {}}
    for database, variable in (("postgresql", "BENCH_PG_TEMPLATES"), ("sqlite", "BENCH_SQLITE_TEMPLATES")):
        for item in env_list(variable, ""):
            size, _, name = item.partition("=")
            if not size.isdigit() or not name:
                raise SystemExit(f"{variable}: {item!r} is not SIZE=DATABASE.")
            if database == "sqlite" and not Path(name).is_file():
                raise SystemExit(f"{variable}: {name} is not a file.")
            templates[database][int(size)] = name
    return {
        "sizes": sizes, "databases": databases, "cases": selected_cases(env_list("BENCH_CASES", "")),
        "repeat": env_number("BENCH_REPEAT", 20), "warmup": env_number("BENCH_WARMUP", 3),
        "slow_repeat": env_number("BENCH_SLOW_REPEAT", 3), "slow_warmup": env_number("BENCH_SLOW_WARMUP", 1),
        "output": os.environ.get("BENCH_OUTPUT") or str(ROOT / "docs" / "benchmarks.md"),
        "title_note": os.environ.get("BENCH_TITLE_NOTE", ""),
        "seed": env_number("BENCH_SEED", 1),
        "graph_components": env_number("BENCH_GRAPH_COMPONENTS", 10_000),
        "intake_threads": env_number("BENCH_INTAKE_THREADS", 4),
        "intake_seconds": env_number("BENCH_INTAKE_SECONDS", 10.0, float),
        "pg_owner_url": os.environ.get("BENCH_PG_OWNER_URL") or "postgres://portal_ci_owner@127.0.0.1:5432",
        "pg_runtime_url": os.environ.get("BENCH_PG_RUNTIME_URL") or "postgres://portal_ci_runtime@127.0.0.1:5432",
        "pg_templates": templates["postgresql"], "sqlite_templates": templates["sqlite"],
        "keep": os.environ.get("BENCH_KEEP", "") in ("1", "true", "yes"),
        "parts": parts_from_env(),
        "aibom_components": env_number("BENCH_AIBOM_COMPONENTS", 25_000),
    }


PARTS = ("blast_radius", "audit_chain", "aibom_import")


def parts_from_env():
    names = env_list("BENCH_PARTS", " ".join(PARTS))
    if names == ["none"]:
        return []
    if bad := [n for n in names if n not in PARTS]:
        raise SystemExit(f"BENCH_PARTS: {', '.join(bad)} unknown; use {', '.join(PARTS)} or none.")
    return names


def run_parts(config, database, work):
    """The focused benchmarks (bench/blast_radius.py, audit_chain.py, aibom_import.py) on `database`: their output.
    The first two build a test database of their own (PostgreSQL: as the owner role), the import a scratch one."""
    outputs = {}
    for part in config["parts"]:
        env = {**os.environ, "DJANGO_DEBUG": "true", "DJANGO_LOG_LEVEL": "WARNING"}
        args = [sys.executable, str(BENCH / f"{part}.py")]
        scratch = None
        if database == "postgresql" and part != "aibom_import":
            env["DATABASE_URL"] = with_database(config["pg_owner_url"], f"bench_parts_{os.getpid()}")
        elif database == "postgresql":
            scratch = f"bench_aibom_{os.getpid()}"
            pg_admin(config, f'CREATE DATABASE "{scratch}"')
            env["BENCH_DATABASE_URL"] = with_database(config["pg_runtime_url"], scratch)
            env["BENCH_MIGRATION_DATABASE_URL"] = with_database(config["pg_owner_url"], scratch)
        else:
            env.pop("DATABASE_URL", None)
            env.pop("BENCH_DATABASE_URL", None)
        if part == "aibom_import":
            args += ["--components", str(config["aibom_components"]), "--reimport"]
        print(f"{part} on {database}...", flush=True)
        try:
            completed = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
        finally:
            if scratch:
                pg_admin(config, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        text = completed.stdout.strip()
        if completed.returncode:
            text += f"\n(failed, exit {completed.returncode}): {completed.stderr.strip()[-1500:]}"
        outputs[part] = text
        print(text, flush=True)
    return outputs


# --- scratch databases ----------------------------------------------------------------------------------------------

def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def pg_admin(config, sql):
    import psycopg

    with psycopg.connect(with_database(config["pg_owner_url"], "postgres"), autocommit=True) as conn:
        conn.execute(sql)


@contextlib.contextmanager
def scratch_database(config, database, size, work):
    """(runtime URL, owner URL, copied) of a new empty database; dropped afterwards unless BENCH_KEEP."""
    if database == "sqlite":
        folder = ROOT / "var" / "bench" if config["keep"] else Path(work)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"bench-{size}-{os.getpid()}.sqlite3"
        url = f"sqlite:///{path}"
        template = config["sqlite_templates"].get(size)
        if template:
            with contextlib.closing(sqlite3.connect(template)) as source, \
                    contextlib.closing(sqlite3.connect(path)) as copy:
                source.backup(copy)
        try:
            yield url, url, bool(template)
        finally:
            if not config["keep"]:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            else:
                print(f"kept {path}")
        return
    name = f"bench_scale_{size}_{os.getpid()}"
    template = config["pg_templates"].get(size)
    pg_admin(config, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield (with_database(config["pg_runtime_url"], name), with_database(config["pg_owner_url"], name),
               bool(template))
    finally:
        if config["keep"]:
            print(f"kept PostgreSQL database {name}")
        else:
            pg_admin(config, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(args, env, *, quiet=True):
    start = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE if quiet else None, stderr=subprocess.PIPE if quiet else None)
    if completed.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed ({completed.returncode}):\n"
                         f"{(completed.stdout or '')[-2000:]}\n{(completed.stderr or '')[-4000:]}")
    return time.perf_counter() - start


def debug_env(runtime_url, owner_url):
    return {**os.environ, "DJANGO_DEBUG": "true", "DATABASE_URL": runtime_url, "MIGRATION_DATABASE_URL": owner_url,
            "DJANGO_LOG_LEVEL": "WARNING"}


def production_env(runtime_url, owner_url, work):
    """Production mode as .ci/production-smoke starts it, with the benchmark's own limits lifted: API rates high
    enough that no measured request is throttled, the embedded scheduler off (its jobs would run at random times
    during the measurements)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BENCH_"))}
    return {**env, "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "DATABASE_URL": runtime_url, "MIGRATION_DATABASE_URL": owner_url,
            "DJANGO_STATIC_ROOT": str(Path(work) / "static"),
            "AUDIT_SIGNING_KEY_FILE": str(Path(work) / "audit-signing.pem"),
            "AUDIT_CHECKPOINT_DIR": str(Path(work) / "checkpoints"), "JOB_RESULT_DIR": str(Path(work) / "jobs"),
            "BENCH_MEDIA_ROOT": str(Path(work) / "media"),
            "ORGANISATION_NAME": "Benchmark Organisation Ltd", "ORGANISATION_COUNTRY": "IE",
            "API_THROTTLE_USER": "1000000/hour", "API_THROTTLE_ALERT_INTAKE": "1000000/hour",
            "JOBS_EMBEDDED_SCHEDULER": "false", "DJANGO_LOG_LEVEL": "WARNING", "GUNICORN_LOG_LEVEL": "warning"}


def prepare(config, database, size, runtime_url, owner_url, copied):
    """Migrate and seed the scratch database; the seconds each step took."""
    env = debug_env(runtime_url, owner_url)
    timings = {"migrate": manage(["migrate", "--noinput"], env)}
    if not copied:
        print(f"seeding {size:,} incidents on {database}...", flush=True)
        timings["seed_scale"] = manage(["seed_scale", "--incidents", str(size), "--seed", str(config["seed"])], env,
                                       quiet=False)
    start = time.perf_counter()
    if database == "postgresql":
        import psycopg

        with psycopg.connect(owner_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    else:
        with contextlib.closing(sqlite3.connect(urlsplit(runtime_url).path)) as conn:
            conn.execute("ANALYZE")
    timings["analyze"] = time.perf_counter() - start
    return timings


def run_child(child_config, env, work):
    path = Path(work) / f"config-{child_config['database']}-{child_config['size']}.json"
    path.write_text(json.dumps(child_config))
    completed = subprocess.run([sys.executable, str(Path(__file__)), "--measure", str(path)],  # noqa: S603
                               cwd=ROOT, env=env)
    if completed.returncode:
        raise SystemExit(f"the measuring process failed ({completed.returncode}) on {child_config['database']} "
                         f"at {child_config['size']}")
    return json.loads(Path(child_config["results"]).read_text())


def run(config):
    """Every database x size: prepare, measure; then the report. Returns the runs."""
    work = tempfile.mkdtemp(prefix="portal-bench-")
    runs, parts, started = [], {}, datetime.now(UTC)
    load_before = os.getloadavg()
    try:
        shared = production_env("sqlite:///" + str(Path(work) / "unused.sqlite3"), "", work)
        static = os.environ.get("BENCH_STATIC_ROOT")
        if static and (Path(static) / "staticfiles.json").exists():
            shared["DJANGO_STATIC_ROOT"] = static
        else:
            if static:
                shared["DJANGO_STATIC_ROOT"] = static
            print("collectstatic (production mode, the manifest storage)...", flush=True)
            manage(["collectstatic", "--noinput", "-v", "0"], shared)
        manage(["audit_signing_key", "--create", shared["AUDIT_SIGNING_KEY_FILE"]], shared)
        for database in config["databases"]:
            for size in config["sizes"]:
                with scratch_database(config, database, size, work) as (runtime_url, owner_url, copied):
                    timings = prepare(config, database, size, runtime_url, owner_url, copied)
                    print(f"measuring {database} at {size:,} incidents...", flush=True)
                    child = {key: config[key] for key in ("cases", "repeat", "warmup", "slow_repeat", "slow_warmup",
                                                          "graph_components", "intake_threads", "intake_seconds")}
                    child.update(database=database, size=size, work=work, intake="gunicorn",
                                 blast=size == max(config["sizes"]),
                                 results=str(Path(work) / f"results-{database}-{size}.json"),
                                 partial=str(Path(work) / f"partial-{database}-{size}.json"))
                    env = {**production_env(runtime_url, owner_url, work),
                           "DJANGO_STATIC_ROOT": shared["DJANGO_STATIC_ROOT"]}
                    measured = run_child(child, env, work)
                    templates = config["pg_templates" if database == "postgresql" else "sqlite_templates"]
                    runs.append({"database": database, "size": size, "prepare": timings,
                                 "copied_from": templates.get(size) if copied else None, **measured})
            if config["parts"]:
                parts[database] = run_parts(config, database, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta = machine(started, load_before)
    if os.environ.get("BENCH_RESULTS_JSON"):
        saved = {"runs": runs, "parts": parts, "meta": meta, "config": config}
        Path(os.environ["BENCH_RESULTS_JSON"]).write_text(json.dumps(saved, indent=1, default=str))
    Path(config["output"]).write_text(report(runs, config, meta, parts))
    print(f"wrote {config['output']}")
    return runs


# --- the child: measuring in production mode ------------------------------------------------------------------------

def child_main(config_path):
    config = json.loads(Path(config_path).read_text())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.conf import settings

    settings.ROOT_URLCONF = "bench_urls"
    settings.MEDIA_ROOT = os.environ.get("BENCH_MEDIA_ROOT") or settings.MEDIA_ROOT
    import django

    django.setup()
    from scale_cases import measure

    import portal.wsgi  # noqa: F401  # start-up as a production worker has it (the WSGI handler, gc.freeze)

    results = measure(config)
    Path(config["results"]).write_text(json.dumps({"results": results, "environment": environment()}))


def environment():
    """What the measuring process ran with (written into the report)."""
    from django.conf import settings
    from django.db import connection
    from django.template import engines

    loaders = [type(loader).__module__ + "." + type(loader).__name__
               for loader in engines["django"].engine.template_loaders]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            version = cursor.execute("SHOW server_version").fetchone()[0]
        else:
            version = cursor.execute("SELECT sqlite_version()").fetchone()[0]
    return {"debug": settings.DEBUG, "template_loaders": loaders, "vendor": connection.vendor,
            "server_version": version, "pdf_render_isolation": getattr(settings, "PDF_RENDER_ISOLATION", ""),
            "staticfiles": settings.STORAGES["staticfiles"]["BACKEND"]}


# --- the report -----------------------------------------------------------------------------------------------------

def machine(started, load_before):
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,  # noqa: S607
                            text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,  # noqa: S607
                           capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory, "system": platform.platform(),
            "python": platform.python_version(), "commit": commit + (" (with uncommitted changes)" if dirty else ""),
            "started": started, "finished": datetime.now(UTC), "load_before": load_before,
            "load_after": os.getloadavg()}


def ms(value):
    if value is None:
        return "-"
    if value >= 10_000:
        return f"{value / 1000:,.1f} s"
    return f"{value:,.1f} ms" if value >= 10 else f"{value:.2f} ms"


def verdict(result, database):
    kind, limit, queries = TARGETS[result["case"]]
    factor = SQLITE_FACTOR if database == "sqlite" else 1
    if kind == "rate":
        target = f"≥ {limit / factor:g} req/s"
        ok = result["rate"] is not None and result["rate"] >= limit / factor
    else:
        target = f"{kind} ≤ {ms(limit * factor)}"
        value = result["p95_ms"] if kind == "p95" else result["median_ms"]
        ok = value is not None and value <= limit * factor
    if queries is not None:
        target += f", ≤ {queries} queries"
        ok_queries = result["queries"] is not None and result["queries"] <= queries
    else:
        ok_queries = True
    if ok and ok_queries:
        return target, "pass"
    misses = [what for what, good in (("time" if kind != "rate" else "rate", ok), ("queries", ok_queries)) if not good]
    return target, f"**miss** ({', '.join(misses)})"


def row(result, database):
    label = LABELS[result["case"]]
    size = f"{result['size']:,}"
    if result["na"]:
        return f"| {label} | {size} | n/a | | | | | {verdict(result, database)[0]} | n/a: {result['na']} |"
    if result["error"]:
        error = result["error"].replace("|", "\\|").replace("\n", " ")
        return f"| {label} | {size} | error | | | | | {verdict(result, database)[0]} | error: {error} |"
    floors = result["floors"]
    if result["rate"] is not None:
        median = f"{result['rate']:,.1f} req/s"
        p95 = f"{ms(result['p95_ms'])} latency"
        floor = "; ".join(f"{f['name']}: {f['rate']:,.1f} req/s" for f in floors)
        ratio = f"{floors[0]['rate'] / result['rate']:,.1f}x slower" if floors and result["rate"] else ""
    else:
        median, p95 = ms(result["median_ms"]), ms(result["p95_ms"])
        floor = "; ".join(f"{f['name']}: {ms(f['median_ms'])}" for f in floors)
        first = floors[0]["median_ms"] if floors else None
        ratio = f"{result['median_ms'] / first:,.1f}x" if first else ""
    target, outcome = verdict(result, database)
    queries = "" if result["queries"] is None else str(result["queries"])
    note = f" ({result['note']})" if result["note"] else ""
    return f"| {label}{note} | {size} | {median} | {p95} | {queries} | {floor} | {ratio} | {target} | {outcome} |"


def report(runs, config, meta, parts=None):
    lines = ["# Benchmarks at scale", ""]
    if config["title_note"]:
        lines += [f"**{config['title_note']}**", ""]
    lines += [
        "Written by `make bench` (`bench/scale.py`). Each case is timed beside a floor measured in the same run; "
        "the ratio is the case's median over the first floor's (for the alert intake: how many times more "
        "requests per second the floor served). Targets are the issue's, at 100,000 incidents and 2.4 M history "
        f"rows on PostgreSQL; SQLite's are {SQLITE_FACTOR}x the times (half the throughput). Smaller sizes are "
        "judged against the same targets.",
        "",
        f"- Date: {meta['started']:%Y-%m-%d %H:%M} to {meta['finished']:%H:%M} UTC; commit {meta['commit']}",
        f"- Machine: {meta['cpu']}, {meta['cores']} cores, {meta['memory']}; {meta['system']}; Python "
        f"{meta['python']}",
        f"- Load average (1, 5, 15 min) at the start: {', '.join(f'{x:.2f}' for x in meta['load_before'])}; "
        f"at the end: {', '.join(f'{x:.2f}' for x in meta['load_after'])}",
        f"- Runs per case: {config['repeat']} timed after {config['warmup']} warm-up runs (PDF and "
        f"`verify_audit_trail`: {config['slow_repeat']} after {config['slow_warmup']}); queries counted on one "
        "further run, apart from the timed ones",
        "- Pages through the Django test Client in one process, signed in as a superuser, over HTTPS, in "
        "production mode (DJANGO_DEBUG=false); the alert intake through gunicorn (gunicorn.conf.py, 2 sync "
        f"workers) with {config['intake_threads']} client threads for {config['intake_seconds']:g} s; API rate "
        "limits raised and the embedded scheduler off for the run",
    ]
    for database in config["databases"]:
        mine = [r for r in runs if r["database"] == database]
        if not mine:
            continue
        env = mine[0]["environment"]
        lines += ["", f"## {'PostgreSQL' if database == 'postgresql' else 'SQLite'} {env['server_version']}", "",
                  f"DEBUG={env['debug']}; template loaders: {', '.join(env['template_loaders'])}; static files: "
                  f"{env['staticfiles']}; PDF_RENDER_ISOLATION={env['pdf_render_isolation']}.", ""]
        for run_ in mine:
            steps = ", ".join(f"{name} {seconds:,.1f} s" for name, seconds in run_["prepare"].items())
            source = f"copied from `{run_['copied_from']}`; " if run_["copied_from"] else ""
            repeats = f"; {run_['repeats']}" if run_.get("repeats") else ""
            seeded = run_["prepare"].get("seed_scale")
            verdict_ = "" if seeded is None or run_["size"] != 100_000 or database != "postgresql" else (
                f" (`seed_scale` target ≤ {SEED_TARGET_SECONDS // 60} min at 100,000 on PostgreSQL: "
                f"{'pass' if seeded <= SEED_TARGET_SECONDS else '**miss**'})")
            lines.append(f"- {run_['size']:,} incidents: {source}{steps}{repeats}{verdict_}")
        lines += ["", "| case | incidents | median | p95 | queries | floor (median) | ratio to floor | target "
                  "| result |", "|---|---:|---:|---:|---:|---|---:|---|---|"]
        results = [r for run_ in mine for r in run_["results"]]
        results.sort(key=lambda r: (ALL_CASES.index(r["case"]), r["size"]))
        lines += [row(r, database) for r in results]
    for database, outputs in (parts or {}).items():
        lines += ["", f"## Focused benchmarks on {'PostgreSQL' if database == 'postgresql' else 'SQLite'}", "",
                  "The output of the older scripts (`make bench-parts` runs them alone), as they print it.", ""]
        for part, text in outputs.items():
            lines += [f"`bench/{part}.py`:", "", "```", text, "```", ""]
    sizes = " ".join(str(s) for s in config["sizes"])
    lines += [
        "", "## How to reproduce", "",
        "```",
        f'BENCH_SIZES="{sizes}" BENCH_DATABASES="{" ".join(config["databases"])}" make bench',
        "```", "",
        "PostgreSQL on 127.0.0.1:5432 with the roles of `.ci/run` (portal_ci_owner with CREATEDB, "
        "portal_ci_runtime), or BENCH_PG_OWNER_URL / BENCH_PG_RUNTIME_URL; BENCH_PG_TEMPLATES=100000=scale_100k "
        "(BENCH_SQLITE_TEMPLATES=100000=var/scale_100k.sqlite3) copies an already seeded database instead of "
        "seeding. BENCH_CASES (e.g. `api admin`) and BENCH_REPEAT "
        "make a quick run; the other variables are listed in `bench/scale.py`. Run it on a quiet machine: the "
        "load average above says how quiet this one was.",
        "",
    ]
    return "\n".join(lines)


def combine(paths):
    """One report from saved results (BENCH_RESULTS_JSON files of runs made apart, e.g. one per database): the
    settings of the first file, the dates and load spanning all of them. A database and size measured in more
    than one file is reported from the last file that measured it (a re-run replaces the run it repeats)."""
    runs, parts, metas, config = [], {}, [], None
    for path in paths:
        saved = json.loads(Path(path).read_text())
        done = saved["config"]
        for run_ in saved["runs"]:
            run_.setdefault("repeats", f"{done['repeat']} timed runs after {done['warmup']} warm-up (PDF, "
                                       f"verify: {done['slow_repeat']} after {done['slow_warmup']})")
        again = {(run_["database"], run_["size"]) for run_ in saved["runs"]}
        runs = [run_ for run_ in runs if (run_["database"], run_["size"]) not in again] + saved["runs"]
        parts.update(saved["parts"])
        meta = saved["meta"]
        meta["started"], meta["finished"] = (datetime.fromisoformat(meta[k]) for k in ("started", "finished"))
        metas.append(meta)
        config = config or saved["config"]
    config["databases"] = list(dict.fromkeys(r["database"] for r in runs))
    config["sizes"] = sorted({r["size"] for r in runs})
    meta = {**metas[0], "started": min(m["started"] for m in metas), "finished": max(m["finished"] for m in metas),
            "load_before": max((m["load_before"] for m in metas), key=lambda x: x[0]),
            "load_after": max((m["load_after"] for m in metas), key=lambda x: x[0])}
    return report(runs, config, meta, parts)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        child_main(sys.argv[2])
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--combine":
        # bench/scale.py --combine OUTPUT RESULTS.json...: one report from runs saved with BENCH_RESULTS_JSON
        Path(sys.argv[2]).write_text(combine(sys.argv[3:]))
        return
    config = settings_from_env()
    print(f"benchmark: {', '.join(config['databases'])} at {', '.join(f'{s:,}' for s in config['sizes'])} "
          f"incidents; cases: {', '.join(config['cases'])}", flush=True)
    runs = run(config)
    failed = [f"{r['database']} at {r['size']:,}: {x['case']}: {x['error']}" for r in runs for x in r["results"]
              if x.get("error")]
    if failed:  # the report is written; the run still fails, so CI's smoke of it fails
        raise SystemExit("cases that failed:\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    main()
