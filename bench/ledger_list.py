"""Benchmark: the ledger's admin list (`/admin/remediation/affectedrecord/`) on PostgreSQL at 1,000,000 records.

    .venv/bin/python bench/ledger_list.py [--records 1000000] [--repeat 15] [--warmup 3]

Migrates a scratch PostgreSQL database (`BENCH_DATABASE_URL` for the runtime role and `BENCH_MIGRATION_DATABASE_URL`
for the owner role; without them a throw-away database created and dropped with the roles of `.ci/run`:
`BENCH_PG_OWNER_URL`, default postgres://portal_ci_owner@127.0.0.1:5432, and `BENCH_PG_RUNTIME_URL`, default
postgres://portal_ci_runtime@127.0.0.1:5432; `BENCH_KEEP=1` keeps it), writes a few users, an inventory and 20
incidents through the services, then loads the affected records in one `INSERT ... SELECT FROM generate_series`
(states, kinds, jurisdictions, channels, reviewers, systems and imports spread as a real ledger's; the incidents of
very different sizes), and `VACUUM ANALYZE`s.

It then times the list page through the Django test client, signed in as a compliance officer, in one process
(debug settings with DEBUG switched off at run time: no query log; cached templates): the whole ledger, one
incident's records in one state (the incident page's link), "my queue", page 50 reached by the keyset cursor, and a
search by an external id's beginning. Beside each, in the same run, its floor: the same page's rows read by psycopg
with one hand-written SQL statement (no Django). Medians and p95 in milliseconds, the queries of each page, and the
machine's load average before and after (the machine may be shared: the wall time grows with the load).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATES = [("identified", 40), ("under_re_review", 20), ("upheld", 10), ("reversed", 8), ("redress_offered", 6),
          ("redress_accepted", 4), ("redress_declined", 2), ("notified", 5), ("closed", 5)]
KINDS = [("decision", 60), ("transaction", 20), ("account", 15), ("person", 5)]
JURISDICTIONS = ["DE", "FR", "IE", "NL", "ES", "IT", "PL", "SE", "AT", "BE", "GB", "US"]
CHANNELS = ["email", "email", "email", "post", "in_app", "phone", "none"]
INCIDENTS = 20
REVIEWERS = 8
PAGE = 50  # the list's page size (remediation.admin.records)


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def pg_admin(owner_url, sql):
    import psycopg

    with psycopg.connect(with_database(owner_url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def weighted_case(column_sql: str, pairs) -> str:
    """A CASE choosing among `pairs` [(value, weight)] by a uniform number in [0, 1) given as SQL."""
    total, upto, branches = sum(w for _, w in pairs), 0, []
    for value, weight in pairs[:-1]:
        upto += weight
        branches.append(f"WHEN {column_sql} < {upto / total:.4f} THEN '{value}'")
    return f"CASE {' '.join(branches)} ELSE '{pairs[-1][0]}' END"


def setup_portal(count):
    """Users, an inventory, the incidents and one import each, through the services; the ids the load needs."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from incidents.tests.factories import open_incident
    from inventory.tests.factories import make_small_inventory
    from portal.core import roles
    from portal.tests.factories import make_user
    from remediation.models import AffectedRecordImport

    admin = make_user("bench-admin", superuser=True)
    officer = make_user("bench-co", roles.COMPLIANCE_OFFICER)
    reviewers = [officer] + [make_user(f"bench-reviewer-{i}", roles.INCIDENT_RESPONDER if i % 2 else
                                       roles.COMPLIANCE_OFFICER) for i in range(1, REVIEWERS)]
    assert Group.objects.filter(name=roles.COMPLIANCE_OFFICER).exists()
    inventory = make_small_inventory(actor=admin, members=[reviewers[1]])
    incidents = [open_incident(officer, title=f"Ledger benchmark incident {i}") for i in range(INCIDENTS)]
    imports = [AffectedRecordImport.objects.create(
        incident=incident, started_by=officer, file_name=f"records-{i}.csv", sha256="0" * 64, format="csv",
        rows_read=count // INCIDENTS, created=count // INCIDENTS, created_at=timezone.now())
        for i, incident in enumerate(incidents)]
    return {"officer": officer, "reviewers": [u.pk for u in reviewers], "incidents": [i.pk for i in incidents],
            "imports": [i.pk for i in imports], "system": inventory.system.pk,
            "components": [inventory.model.pk, inventory.dataset.pk, inventory.tool.pk]}


def load_records(owner_url, count, ids):
    """The records in one INSERT ... SELECT; the incidents skewed (the first few hold most records)."""
    import psycopg

    incidents = ",".join(map(str, ids["incidents"]))
    imports = ",".join(map(str, ids["imports"]))
    reviewers = ",".join(map(str, ids["reviewers"]))
    components = ",".join(map(str, ids["components"]))
    jurisdictions = ",".join(f"'{j}'" for j in JURISDICTIONS)
    channels = ",".join(f"'{c}'" for c in CHANNELS)
    n = len(ids["incidents"])
    sql = f"""
        INSERT INTO remediation_affectedrecord (incident_id, kind, external_id, subject_ref, jurisdiction,
            contact_channel, occurred_at, system_id, component_id, state, state_changed_at, state_changed_by_id,
            note, reviewer_id, updated_at, import_batch_id, version)
        SELECT (ARRAY[{incidents}])[g.inc], {weighted_case('r.k', KINDS)}, 'rec-' || g.i, 'subject-' || g.i,
            (ARRAY[{jurisdictions}])[1 + floor(r.j * {len(JURISDICTIONS)})::int],
            (ARRAY[{channels}])[1 + floor(r.c * {len(CHANNELS)})::int],
            now() - (r.o * interval '180 days'),
            CASE WHEN r.s < 0.7 THEN {ids['system']} END,
            CASE WHEN r.s < 0.7 THEN (ARRAY[{components}])[1 + floor(r.s / 0.7 * 3)::int] END,
            {weighted_case('r.st', STATES)}, now() - (r.t * interval '30 days'), {ids['officer'].pk}, '',
            CASE WHEN r.v >= 0.35 THEN (ARRAY[{reviewers}])[1 + floor((r.v - 0.35) / 0.65 * {REVIEWERS})::int] END,
            CASE WHEN r.t < 0.3 THEN now() - (r.t * interval '30 days') END,
            CASE WHEN r.m < 0.9 THEN (ARRAY[{imports}])[g.inc] END, 1
        FROM (SELECT i, 1 + least(floor(power(random(), 2) * {n})::int, {n - 1}) AS inc
              FROM generate_series(1, {count}) AS i) AS g,
        LATERAL (SELECT random() + 0 * g.i AS k, random() AS j, random() AS c, random() AS o, random() AS s,
                        random() AS st, random() AS t, random() AS v, random() AS m) AS r
    """  # noqa: S608  # numbers and fixed words of this script only
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("SELECT setseed(0.42)")
        conn.execute(sql)  # nosec B608
        conn.execute("VACUUM ANALYZE remediation_affectedrecord")


def timed(call, *, repeat, warmup):
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


FLOOR_SQL = """
    SELECT r.id, r.external_id, r.kind, r.state, r.jurisdiction, r.occurred_at, r.state_changed_at, r.updated_at,
           r.version, i.reference, rv.username, sc.username, s.name, c.name, c.version
    FROM remediation_affectedrecord r
    JOIN incidents_incident i ON i.id = r.incident_id
    JOIN auth_user sc ON sc.id = r.state_changed_by_id
    LEFT JOIN auth_user rv ON rv.id = r.reviewer_id
    LEFT JOIN inventory_aisystem s ON s.id = r.system_id
    LEFT JOIN inventory_component c ON c.id = r.component_id
    WHERE {where} ORDER BY r.id LIMIT {limit}
"""


def measure(runtime_url, ids, *, repeat, warmup):
    import psycopg
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    settings.DEBUG = False  # no query log
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(ids["officer"])
    url = reverse("admin:remediation_affectedrecord_changelist")
    with connection.cursor() as cursor:
        cursor.execute("SELECT incident_id, count(*) FROM remediation_affectedrecord GROUP BY 1 ORDER BY 2 DESC "
                       "LIMIT 1")
        biggest, biggest_count = cursor.fetchone()
        cursor.execute("SELECT id FROM remediation_affectedrecord ORDER BY id OFFSET %s LIMIT 1", [49 * PAGE - 1])
        page_50_after = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM remediation_affectedrecord")
        total = cursor.fetchone()[0]
    me = ids["officer"].pk
    cases = [
        ("whole ledger, first page", {}, "true"),
        (f"one incident ({biggest_count:,} records), under re-review", {"incident__id__exact": biggest,
                                                                        "state__exact": "under_re_review"},
         f"r.incident_id = {biggest} AND r.state = 'under_re_review'"),
        ("my queue", {"reviewer": "me"}, f"r.reviewer_id = {me}"),
        ("page 50 by the cursor (?after=)", {"after": page_50_after}, f"r.id > {page_50_after}"),
        ("search by an id's beginning (rec-12345)", {"q": "rec-12345"}, "r.external_id LIKE 'rec-12345%'"),
    ]
    print(f"{total:,} affected records; page size {PAGE}; {repeat} timed runs after {warmup} untimed; "
          f"load average {load()}")
    print(f"{'case':58} {'page median':>11} {'p95':>7} {'queries':>7}   {'floor median':>12} {'p95':>7}")
    results = []
    with psycopg.connect(runtime_url, autocommit=True) as raw:
        for label, params, where in cases:
            def page(params=params):
                response = client.get(url, params)
                assert response.status_code == 200, (response.status_code, response.content[:500])

            def floor(where=where):
                raw.execute(FLOOR_SQL.format(where=where, limit=PAGE + 1)).fetchall()  # nosec B608

            queries = []
            def counted(execute, sql, *args, queries=queries):
                queries.append(sql)
                return execute(sql, *args)

            with connection.execute_wrapper(counted):
                page()  # (the connection is opened and closed per request, as CONN_MAX_AGE=0 does)
            median, p95 = timed(page, repeat=repeat, warmup=warmup)
            floor_median, floor_p95 = timed(floor, repeat=repeat, warmup=warmup)
            results.append((label, median, p95))
            print(f"{label:58} {median:9.1f}ms {p95:5.1f}ms {len(queries):7d}   {floor_median:10.2f}ms "
                  f"{floor_p95:5.2f}ms", flush=True)
    print(f"load average after: {load()}")
    worst = max(p95 for _, _, p95 in results)
    print(f"target: the list page at {total:,} records <= 150 ms (p95 of every case); worst p95 {worst:.1f} ms: "
          f"{'met' if worst <= 150 else 'MISSED'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--measure-only", action="store_true",
                        help="time the pages of a database this script loaded before (BENCH_DATABASE_URL)")
    args = parser.parse_args()

    owner_base = os.environ.get("BENCH_PG_OWNER_URL", "postgres://portal_ci_owner@127.0.0.1:5432")
    runtime_base = os.environ.get("BENCH_PG_RUNTIME_URL", "postgres://portal_ci_runtime@127.0.0.1:5432")
    scratch = None
    runtime_url, owner_url = os.environ.get("BENCH_DATABASE_URL"), os.environ.get("BENCH_MIGRATION_DATABASE_URL")
    if not runtime_url:
        scratch = f"bench_ledger_{os.getpid()}"
        pg_admin(owner_base, f'CREATE DATABASE "{scratch}"')
        runtime_url, owner_url = with_database(runtime_base, scratch), with_database(owner_base, scratch)
    owner_url = owner_url or runtime_url
    print(f"database: PostgreSQL{' (scratch ' + scratch + ')' if scratch else ''}; cpus: {os.cpu_count()}, "
          f"load average {load()}", flush=True)
    try:
        env = {**os.environ, "DJANGO_DEBUG": "true", "DATABASE_URL": runtime_url, "MIGRATION_DATABASE_URL": owner_url,
               "DJANGO_LOG_LEVEL": "WARNING", "JOBS_EMBEDDED_SCHEDULER": "false"}
        start = time.perf_counter()
        if not args.measure_only:
            subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput"],  # noqa: S603
                           env=env, check=True, capture_output=True, cwd=ROOT)
            print(f"migrate: {time.perf_counter() - start:.1f} s", flush=True)
        os.environ.update({k: env[k] for k in ("DJANGO_DEBUG", "DATABASE_URL", "MIGRATION_DATABASE_URL",
                                               "DJANGO_LOG_LEVEL", "JOBS_EMBEDDED_SCHEDULER")})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        import django

        django.setup()
        if args.measure_only:
            from django.contrib.auth import get_user_model

            ids = {"officer": get_user_model().objects.get(username="bench-co")}
        else:
            ids = setup_portal(args.records)
            start = time.perf_counter()
            load_records(owner_url, args.records, ids)
            print(f"loaded {args.records:,} affected records (generate_series) and analysed in "
                  f"{time.perf_counter() - start:.1f} s; load average {load()}", flush=True)
        measure(runtime_url, ids, repeat=args.repeat, warmup=args.warmup)
    finally:
        if scratch and os.environ.get("BENCH_KEEP") != "1":
            if "django" in sys.modules and sys.modules["django"].apps.apps.ready:
                from django.db import connections

                connections.close_all()
            pg_admin(owner_base, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        elif scratch:
            print(f"kept PostgreSQL database {scratch}")


if __name__ == "__main__":
    main()
