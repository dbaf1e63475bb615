"""Benchmark: `manage.py import_affected_records` of a 1,000,000-row CSV on PostgreSQL, beside its floor.

    .venv/bin/python bench/ledger_import.py [--rows 1000000] [--keep FILE]

Migrates a scratch PostgreSQL database (`BENCH_DATABASE_URL` for the runtime role and
`BENCH_MIGRATION_DATABASE_URL` for the owner role; without them a throw-away database is created by
`BENCH_PG_OWNER_URL`, default postgres://portal_ci_owner@127.0.0.1:5432, served by `BENCH_PG_RUNTIME_URL`, default
postgres://portal_ci_runtime@127.0.0.1:5432, and dropped at the end), creates a compliance officer, three AI systems,
fifty components and an incident, then generates the CSV (decisions, accounts, transactions and people with
pseudonymous subject references, jurisdictions, contact channels and timestamps in several offsets; a third of the
rows name a system, a fifth a component, one row in 200 repeats an earlier external id).

It runs the real command in a child process and prints its wall time, CPU time and peak RSS (the import must stay
within 60 s and 200 MB), and then the **floor**: a bare `COPY ... FROM STDIN (FORMAT csv, HEADER)` of the same file
into a plain unlogged table with the same columns (no checks, no indexes, no joins), in a child process timed the
same way. The machine's load average is printed with each figure: on a shared machine the wall time grows with it,
the CPU time does not.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("decision",) * 5 + ("account",) * 2 + ("transaction",) * 2 + ("person",)
PREFIX = {"decision": "DEC", "account": "ACC", "transaction": "TXN", "person": "PER"}
JURISDICTIONS = ("DE", "FR", "NL", "IE", "ES", "IT", "PL", "SE", "AT", "BE", "GB", "US", "CA", "")
CHANNELS = ("email", "email", "email", "post", "phone", "in_app", "none", "")
OFFSETS = (UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=2)), timezone(timedelta(hours=-5)))
SYSTEMS = ("credit-scorer", "fraud-screen", "claims-triage")
HEADER = "external_id,kind,subject_ref,jurisdiction,contact_channel,occurred_at,system,component\n"

SETUP = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from incidents import services as incidents
from inventory import services as inventory
from portal.core import roles
user = get_user_model().objects.create_user(username="bench", is_staff=True)
user.groups.add(Group.objects.get(name=roles.COMPLIANCE_OFFICER))
for slug in %(systems)r:
    inventory.ai_system_create(actor=user, name=slug.replace("-", " ").capitalize(), slug=slug,
                               purpose="Decisions at scale.", risk_class="minimal", risk_rationale="Benchmark.")
components = [inventory.component_create(actor=user, kind="model", name=f"scorer-{n}", version=f"2.{n}").pk
              for n in range(50)]
incident = incidents.incident_open(actor=user, title="Scorer drift", track="safety", incident_class="harmful_output",
                                   severity="p1")
print(json.dumps({"incident": incident.reference, "components": components}))
"""


def generate(rows: int, path: Path, components: list[int], seed: int = 15) -> None:
    rng = random.Random(seed)  # noqa: S311  # test data, not secrets
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        lines = []
        for i in range(rows):
            number = i if i % 200 or i == 0 else rng.randrange(i)  # one row in 200 repeats an earlier id
            kind = KINDS[(number * 7919) % len(KINDS)]
            moment = (start + timedelta(seconds=rng.randrange(60 * 60 * 24 * 365)))
            moment = moment.astimezone(OFFSETS[i % len(OFFSETS)]).isoformat()
            lines.append(
                f"{PREFIX[kind]}-{number:09d},{kind},"
                f"subj_{rng.getrandbits(80):020x},{JURISDICTIONS[rng.randrange(len(JURISDICTIONS))]},"
                f"{CHANNELS[rng.randrange(len(CHANNELS))]},{moment},"
                f"{SYSTEMS[i % 3] if i % 3 == 0 else ''},{components[i % len(components)] if i % 5 == 0 else ''}\n")
            if len(lines) == 10_000:
                out.write("".join(lines))
                lines = []
        out.write("".join(lines))


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def pg_admin(owner_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(with_database(owner_url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def manage(*args, env):
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env,  # noqa: S603
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"manage.py {args[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done


def timed(args: list[str], env: dict) -> tuple[float, float, float, str]:
    """Run `args` as a child; (seconds, CPU seconds, peak RSS of the child in MB, its last output line)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)  # noqa: S603
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"{args[1]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    lines = done.stdout.strip().splitlines()
    # ru_maxrss of the children is the largest of any child so far: the import runs first, the floor is smaller.
    return elapsed, cpu, after.ru_maxrss / 1024, lines[-1] if lines else ""


def floor(url: str, path: str) -> None:
    """The floor (run as a child): COPY the CSV as it is into an unlogged table with the same columns."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_ledger_floor (external_id text, kind text, "
                      "subject_ref text, jurisdiction text, contact_channel text, occurred_at timestamptz, "
                      "system text, component bigint)")
        conn.execute("TRUNCATE bench_ledger_floor")
        with conn.cursor() as cursor, cursor.copy("COPY bench_ledger_floor FROM STDIN (FORMAT csv, HEADER)") as copy, \
                open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        count = conn.execute("SELECT count(*) FROM bench_ledger_floor").fetchone()[0]
        conn.execute("DROP TABLE bench_ledger_floor")
    print(f"{count:,} rows copied")


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="write the CSV here (and keep it)")
    parser.add_argument("--floor", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(*args.floor)
        return

    env = {**os.environ, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "true"), "DJANGO_LOG_LEVEL": "WARNING"}
    owner = os.environ.get("BENCH_PG_OWNER_URL") or "postgres://portal_ci_owner@127.0.0.1:5432"
    runtime = os.environ.get("BENCH_PG_RUNTIME_URL") or "postgres://portal_ci_runtime@127.0.0.1:5432"
    scratch = None
    if os.environ.get("BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
        env["MIGRATION_DATABASE_URL"] = os.environ.get("BENCH_MIGRATION_DATABASE_URL", "")
    else:
        scratch = f"bench_ledger_import_{os.getpid()}"
        pg_admin(owner, f'CREATE DATABASE "{scratch}"')
        env["DATABASE_URL"], env["MIGRATION_DATABASE_URL"] = with_database(runtime, scratch), with_database(
            owner, scratch)
    if not env["DATABASE_URL"].startswith("postgres"):
        sys.exit("The ledger import benchmark runs on PostgreSQL (BENCH_DATABASE_URL=postgres://...).")
    work = tempfile.TemporaryDirectory(prefix="ledger-bench-")
    try:
        manage("migrate", "--noinput", env=env)
        setup = json.loads(manage("shell", "-c", SETUP % {"systems": SYSTEMS}, env=env).stdout.strip()
                           .splitlines()[-1])
        path = Path(args.keep) if args.keep else Path(work.name) / "affected.csv"
        start = time.perf_counter()
        generate(args.rows, path, setup["components"])
        print(f"CSV: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, generated in "
              f"{time.perf_counter() - start:.1f} s")
        print(f"database: postgresql{' (two roles)' if env.get('MIGRATION_DATABASE_URL') else ''}; cpus: "
              f"{os.cpu_count()}, load average {load()}")

        elapsed, cpu, peak, summary = timed(
            [sys.executable, str(ROOT / "manage.py"), "import_affected_records", setup["incident"], str(path),
             "--user", "bench", "--verbosity", "0"], env)
        verdict = "within" if elapsed <= 60 and peak <= 200 else "OVER"
        print(f"import: {elapsed:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak:.0f} MB ({verdict} 60 s / 200 MB); "
              f"load average {load()}")
        print(f"  {summary}")
        # The floor creates its table, so it runs as the owner where there are two roles.
        floor_url = env.get("MIGRATION_DATABASE_URL") or env["DATABASE_URL"]
        elapsed, cpu, peak, summary = timed([sys.executable, __file__, "--floor", floor_url, str(path)], env)
        print(f"floor (bare COPY into an unlogged table): {elapsed:.1f} s wall, {cpu:.1f} s CPU; "
              f"load average {load()}")
        print(f"  {summary}")
    finally:
        work.cleanup()
        if scratch:
            pg_admin(owner, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


if __name__ == "__main__":
    main()
