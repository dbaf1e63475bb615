"""The cases of the scale benchmark (`bench/scale.py`), each timed beside a floor measured in the same run.

`measure(config)` runs in a configured Django process on a seeded database and returns one result per case:
median and p95 in milliseconds (or requests per second for the alert intake), the number of queries of one run
(counted apart from the timed runs), the floors with their medians, and the issue's target. A case that cannot run
(an HTTP status other than the expected one, an exception) is recorded with its error instead of numbers; a case
the code does not offer yet (the API's `?cursor=`, `verify_audit_trail --incremental`) is recorded as "n/a".

Pages go through the Django test Client, signed in as a superuser (the admin; every role, confidential fields
included), over HTTPS (`secure=True`, as production redirects plain HTTP).
"""

import base64
import collections
import contextlib
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

# The issue's targets at 100,000 incidents on PostgreSQL; SQLite may take twice as long (half the throughput).
# (kind, limit, queries): kind "p95"/"median" in ms, "rate" in requests per second (at least), None: no target.
TARGETS = {
    "api_list_page1": ("p95", 50, 8),
    "api_list_middle": ("p95", 50, 8),
    "api_list_last": ("p95", 50, 8),
    "api_list_cursor": ("p95", 50, 8),
    "api_list_cursor_deep": ("p95", 50, 8),
    "api_incident": ("median", 20, 8),
    "admin_incidents": ("p95", 150, None),
    "admin_obligations": ("p95", 150, None),
    "admin_deadline_board": ("p95", 150, None),
    "admin_evidence": ("p95", 150, None),
    "admin_incident_change": ("median", 150, None),
    "dashboard": ("p95", 250, None),
    "dashboard_csv": ("p95", 250, None),
    "audit_incident": ("median", 300, None),
    "pdf_production": ("median", 1000, None),
    "pdf_render": ("median", 400, None),
    "alert_intake": ("rate", 40, 30),
    "verify_audit_trail": ("median", 60_000, None),
    "verify_audit_trail_incremental": ("median", 10_000, None),
    "blast_radius": ("median", 50, 1),
}
CASE_GROUPS = {
    "api": ["api_list_page1", "api_list_middle", "api_list_last", "api_list_cursor", "api_list_cursor_deep",
            "api_incident"],
    "admin": ["admin_incidents", "admin_obligations", "admin_deadline_board", "admin_evidence",
              "admin_incident_change"],
    "dashboard": ["dashboard", "dashboard_csv"],
    "audit": ["audit_incident"],
    "pdf": ["pdf_production", "pdf_render"],
    "intake": ["alert_intake"],
    "verify": ["verify_audit_trail", "verify_audit_trail_incremental"],
    "blast": ["blast_radius"],
}
ALL_CASES = [case for cases in CASE_GROUPS.values() for case in cases]
SLOW_CASES = {"pdf_production", "pdf_render", "verify_audit_trail", "verify_audit_trail_incremental"}
API_PAGE = 50
ADMIN_PAGE = 100


@dataclass
class Result:
    case: str
    size: int
    database: str
    median_ms: float | None = None
    p95_ms: float | None = None
    rate: float | None = None  # requests per second (alert intake)
    queries: int | None = None
    floors: list = field(default_factory=list)  # [{"name", "median_ms" or "rate"}]
    runs: int = 0
    note: str = ""
    error: str = ""
    na: str = ""  # why the case does not apply yet


class CaseError(Exception):
    """A case that could not be measured (the message says why)."""


class NotOffered(Exception):
    """A case the code does not offer yet (recorded as n/a)."""


def percentile(samples, share):
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    rank = share * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timed(call, *, repeat, warmup):
    """Milliseconds of `repeat` runs of `call` after `warmup` untimed ones: (median, p95, samples)."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), percentile(samples, 0.95), samples


def query_count(call):
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def raw_sql(queryset):
    """A call running the queryset's SQL on a bare cursor and fetching every row: the floor of reading those rows."""
    sql, params = queryset.query.sql_with_params()

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def values_json(queryset):
    """A call serialising the rows' values with `json.dumps`: the floor of an API answering those rows."""
    return lambda: json.dumps(list(queryset.values()), cls=DjangoJSONEncoder)


class Bench:
    def __init__(self, config):
        self.config = config
        self.size = config["size"]
        self.database = config["database"]
        self.repeat = config.get("repeat", 20)
        self.warmup = config.get("warmup", 3)
        self.slow_repeat = config.get("slow_repeat", 3)
        self.slow_warmup = config.get("slow_warmup", 1)
        self.client = Client()
        self.floor_cache = {}
        self.results = []

    # --- running one case ----------------------------------------------------------------------------------------

    def reps(self, case):
        if case in SLOW_CASES:
            return self.slow_repeat, self.slow_warmup
        return self.repeat, self.warmup

    def get(self, url, expected=200):
        def call():
            response = self.client.get(url, secure=True)
            if response.status_code != expected:
                raise CaseError(f"GET {url} answered {response.status_code}")
            if response.streaming:
                b"".join(response.streaming_content)
            return response

        return call

    def floor(self, name, call, case):
        """A floor's median; the empty view's is measured once per run (the pages share it), the others per case."""
        key = name if name.startswith("empty view") else (case, name)
        if key not in self.floor_cache:
            repeat, warmup = self.reps(case)
            self.floor_cache[key] = timed(call, repeat=repeat, warmup=warmup)[0]
        return {"name": name, "median_ms": round(self.floor_cache[key], 3)}

    def timed_case(self, case, call, floors=(), note=""):
        result = Result(case=case, size=self.size, database=self.database, note=note)
        repeat, warmup = self.reps(case)
        try:
            median, p95, samples = timed(call, repeat=repeat, warmup=warmup)
            result.queries = query_count(call)
            result.median_ms, result.p95_ms, result.runs = round(median, 3), round(p95, 3), len(samples)
            result.floors = [self.floor(name, floor_call, case) for name, floor_call in floors]
        except NotOffered as exc:
            result.na = str(exc)
        except Exception as exc:  # a failing case is reported; the others still run
            result.error = f"{type(exc).__name__}: {exc}"[:300]
        return result

    def empty_floor(self):
        return ("empty view", self.get("/bench/empty/"))

    # --- the cases -----------------------------------------------------------------------------------------------

    def setup(self):
        from django.contrib.auth import get_user_model

        from incidents.models import Incident

        User = get_user_model()
        self.user = User.objects.filter(username="bench-admin").first()
        if self.user is None:
            self.user = User.objects.create_user(username="bench-admin", email="bench-admin@example.org",
                                                 is_staff=True, is_superuser=True)
        self.client.force_login(self.user)
        self.incidents = Incident.objects.order_by("-detected_at", "-id")
        self.count = self.incidents.count()
        if not self.count:
            raise SystemExit("The benchmark database holds no incidents: seed it first (seed_scale).")
        self.pages = max(1, -(-self.count // API_PAGE))
        self.middle = self.incidents[self.count // 2]
        self.last_added = time.perf_counter()

    def run(self, cases):
        self.setup()
        for group, names in CASE_GROUPS.items():
            wanted = [name for name in names if name in cases]
            if group == "blast" and not self.config.get("blast", True):
                continue  # the graph does not grow with the incidents: built and measured at one size only
            if wanted:
                getattr(self, f"case_{group}")(wanted)
        return self.results

    def add(self, result):
        self.results.append(result)
        spent, self.last_added = time.perf_counter() - self.last_added, time.perf_counter()
        shown = "n/a" if result.na else (result.error or f"{result.median_ms if result.rate is None else result.rate}")
        print(f"  {self.database:<10} {self.size:>7} {result.case:<32} {shown:<12} ({spent:.1f} s)", flush=True)
        if self.config.get("partial"):  # what was measured so far survives an interrupted run
            Path(self.config["partial"]).write_text(json.dumps([asdict(r) for r in self.results]))

    def page_floors(self, offset, queryset=None):
        rows = (queryset if queryset is not None else self.incidents)[offset:offset + API_PAGE]
        return [("raw SQL of the same 50 rows", raw_sql(rows)),
                ("values() + json.dumps of them", values_json(rows))]

    def case_api(self, wanted):
        url = "/api/v1/incidents/"
        pages = {"api_list_page1": 1, "api_list_middle": self.pages // 2 + 1, "api_list_last": self.pages}
        for case, page in pages.items():
            if case in wanted:
                self.add(self.timed_case(case, self.get(f"{url}?page={page}"),
                                         self.page_floors((page - 1) * API_PAGE), note=f"page {page} of {self.pages}"))
        if "api_list_cursor" in wanted or "api_list_cursor_deep" in wanted:
            self.cursor_cases(url, wanted)
        if "api_incident" in wanted:
            one = self.incidents.filter(pk=self.middle.pk)
            self.add(self.timed_case("api_incident", self.get(f"{url}{self.middle.reference}/"),
                                     [("raw SQL of the row", raw_sql(one))]))

    def cursor_cases(self, url, wanted):
        hops = self.config.get("cursor_hops", 5)
        try:
            next_url, reached = self.follow_cursor(url, hops)
        except NotOffered as exc:
            for case in ("api_list_cursor", "api_list_cursor_deep"):
                if case in wanted:
                    self.add(Result(case=case, size=self.size, database=self.database, na=str(exc)))
            return
        if "api_list_cursor" in wanted:
            boundary = self.incidents[reached * API_PAGE - 1] if reached else None
            self.add(self.timed_case("api_list_cursor", self.get(next_url), self.keyset_floors(boundary),
                                     note=f"the page after following `next` {reached} times from ?cursor="))
        if "api_list_cursor_deep" in wanted:
            self.add(self.deep_cursor_case(next_url))

    def follow_cursor(self, url, hops):
        response = self.client.get(f"{url}?cursor=", secure=True)
        if response.status_code != 200:
            raise NotOffered(f"?cursor= answered {response.status_code}")
        body = response.json()
        cursor = parse_qs(urlsplit(body.get("next") or "").query).get("cursor", [""])[0]
        if not cursor and "count" in body:  # DRF's page-number answer, `?cursor=` ignored
            raise NotOffered("?cursor= is ignored (page-number links answered)")
        current, reached = f"{url}?cursor=", 0
        while reached < hops and body.get("next"):
            parts = urlsplit(body["next"])
            current, reached = f"{parts.path}?{parts.query}", reached + 1
            if reached < hops:
                body = self.client.get(current, secure=True).json()
        return current, reached  # fewer pages than hops: the last page there is

    def keyset_floors(self, boundary):
        queryset = self.incidents
        if boundary is not None:
            queryset = queryset.filter(Q(detected_at__lt=boundary.detected_at)
                                       | Q(detected_at=boundary.detected_at, id__lt=boundary.id))
        return self.page_floors(0, queryset)

    def deep_cursor_case(self, cursor_url):
        """A cursor in the middle of the list, made from a `next` cursor re-pointed at the middle incident: a keyset
        cursor (base64url JSON {"o": order, "v": values}) or DRF's (base64 of o/r/p); n/a for another format."""
        parts = urlsplit(cursor_url)
        query = parse_qs(parts.query)
        if not query.get("cursor", [""])[0]:
            return Result(case="api_list_cursor_deep", size=self.size, database=self.database,
                          na="the list fits on one page: no cursor to re-point")
        try:
            query["cursor"] = [self.middle_cursor(query["cursor"][0])]
            url = f"{parts.path}?{urlencode(query, doseq=True)}"
        except (KeyError, ValueError, TypeError, UnicodeDecodeError, AttributeError):
            return Result(case="api_list_cursor_deep", size=self.size, database=self.database,
                          na="the cursor's format is not known to the benchmark; no deep cursor could be made")
        boundary_rows = self.incidents.filter(Q(detected_at__lt=self.middle.detected_at)
                                              | Q(detected_at=self.middle.detected_at, id__lt=self.middle.id))
        return self.timed_case("api_list_cursor_deep", self.get(url),
                               [("raw SQL of the same 50 rows (keyset)", raw_sql(boundary_rows[:API_PAGE]))],
                               note="a cursor at the middle incident")

    def middle_cursor(self, token):
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if raw.startswith(b"{"):  # a keyset cursor: the middle incident's values of the order's fields
            payload = json.loads(raw)

            def value(name):
                found = getattr(self.middle, "pk" if name in ("id", "pk") else name)
                return found.isoformat() if hasattr(found, "isoformat") else found

            payload = {"o": payload["o"], "v": [value(name.lstrip("-")) for name in payload["o"]]}
            return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        decoded = parse_qs(raw.decode("ascii"), keep_blank_values=True)  # DRF: o (offset), r (reverse), p (position)
        if "p" not in decoded:
            raise ValueError("no position")
        return base64.b64encode(urlencode({"p": str(self.middle.detected_at)}).encode("ascii")).decode("ascii")

    def case_admin(self, wanted):
        from incidents.models import Evidence
        from reporting.models import DeadlineBoardEntry, Obligation

        pages = {
            "admin_incidents": ("admin:incidents_incident_changelist", self.incidents),
            "admin_obligations": ("admin:reporting_obligation_changelist", Obligation.objects.order_by("-id")),
            "admin_deadline_board": ("admin:reporting_deadlineboardentry_changelist",
                                     DeadlineBoardEntry.objects.order_by("due_at", "id")),
            "admin_evidence": ("admin:incidents_evidence_changelist", Evidence.objects.order_by("-id")),
        }
        for case, (name, queryset) in pages.items():
            if case in wanted:
                self.add(self.timed_case(case, self.get(reverse(name)), [
                    self.empty_floor(), ("raw SQL of the first 100 rows", raw_sql(queryset[:ADMIN_PAGE]))]))
        if "admin_incident_change" in wanted:
            url = reverse("admin:incidents_incident_change", args=[self.middle.pk])
            self.add(self.timed_case("admin_incident_change", self.get(url), [
                self.empty_floor(), ("raw SQL of the row", raw_sql(self.incidents.filter(pk=self.middle.pk)))]))

    def case_dashboard(self, wanted):
        if "dashboard" in wanted:
            self.add(self.timed_case("dashboard", self.get("/dashboard/"), [self.empty_floor()]))
        if "dashboard_csv" in wanted:
            self.add(self.timed_case("dashboard_csv", self.get("/dashboard/metrics.csv"), [self.empty_floor()]))

    def case_audit(self, wanted):
        url = f"/audit/incidents/{self.middle.reference}/"
        self.add(self.timed_case("audit_incident", self.get(url), [self.empty_floor()]))

    # --- PDF ------------------------------------------------------------------------------------------------------

    def case_pdf(self, wanted):
        from reporting.models import Document, DocumentKind, Obligation
        from reporting.services import documents

        obligation = Obligation.objects.select_related("incident").order_by("id").first()
        if obligation is None:
            for case in wanted:
                self.add(Result(case=case, size=self.size, database=self.database, error="no obligation seeded"))
            return
        mode = getattr(settings, "PDF_RENDER_ISOLATION", "process")

        def issue():
            reissue = Document.objects.filter(obligation=obligation).exists()
            documents.document_issue(actor=self.user, kind=DocumentKind.REGULATORY_NOTIFICATION,
                                     obligation=obligation, expected_version=obligation.version,
                                     correction_reason="Benchmark re-issue." if reissue else "")

        if "pdf_production" in wanted:
            self.add(self.timed_case("pdf_production", issue, note=f"document_issue, PDF_RENDER_ISOLATION={mode}"))
        if "pdf_render" in wanted:
            document = Document.objects.filter(obligation=obligation).order_by("-version").first()
            if document is None:
                issue()
                document = Document.objects.filter(obligation=obligation).order_by("-version").first()

            def render():
                with override_settings(PDF_RENDER_ISOLATION="inline"):
                    documents.render_document(document.render_context, document.template)

            self.add(self.timed_case("pdf_render", render, note="render_document in-process (inline)"))

    # --- alert intake ---------------------------------------------------------------------------------------------

    def alert(self):
        self.alerts_sent += 1
        return {"source": "bench", "dedup_key": f"bench-{uuid.uuid4().hex}", "severity": "high",
                "system": self.system_slugs[self.alerts_sent % len(self.system_slugs)],
                "title": "Benchmark alert: toxicity rate above threshold",
                "details": {"rate": 0.031, "window": "5m"},
                "observed_at": (timezone.now() - timedelta(seconds=5)).isoformat()}

    def token(self):
        from portal.core import tokens

        _, raw = tokens.api_token_create(actor=self.user, user=self.user, name=f"bench {uuid.uuid4().hex[:8]}",
                                         scopes=["alert_intake", "read"])
        return raw

    def case_intake(self, wanted):
        from inventory.models import AISystem

        result = Result(case="alert_intake", size=self.size, database=self.database)
        self.system_slugs = list(AISystem.objects.order_by("id").values_list("slug", flat=True)[:50])
        self.alerts_sent = 0
        try:
            if not self.system_slugs:
                raise CaseError("no AI system seeded")
            key = self.token()
            headers = {"HTTP_AUTHORIZATION": f"Token {key}"}

            def post():
                response = self.client.post("/api/v1/alerts/", data=json.dumps(self.alert()),
                                            content_type="application/json", secure=True, **headers)
                if response.status_code != 201:
                    raise CaseError(f"POST /api/v1/alerts/ answered {response.status_code}: "
                                    f"{response.content[:200]!r}")

            post()  # warm-up
            result.queries = query_count(post)
            if self.config.get("intake") == "gunicorn":
                self.intake_gunicorn(result, key)
            else:
                median, p95, samples = timed(post, repeat=self.repeat, warmup=0)
                result.median_ms, result.p95_ms, result.runs = round(median, 3), round(p95, 3), len(samples)
                result.rate = round(1000 / median, 2)
                floor = self.floor("empty view", self.get("/bench/empty/"), "alert_intake")
                result.floors = [{"name": "empty view (in-process, sequential)", "rate": round(
                    1000 / floor["median_ms"], 2), "median_ms": floor["median_ms"]}]
                result.note = "in-process test Client, one request at a time (no gunicorn)"
        except Exception as exc:  # reported as the case's error
            result.error = f"{type(exc).__name__}: {exc}"[:300]
        self.add(result)

    def intake_gunicorn(self, result, key):
        threads = self.config.get("intake_threads", 4)
        seconds = self.config.get("intake_seconds", 10.0)
        with gunicorn_server(self.config) as port:
            headers = {"Authorization": f"Token {key}", "Content-Type": "application/json",
                       "X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
            load(port, "POST", "/api/v1/alerts/", headers, self.alert, threads=threads, seconds=1.0, expect=201)
            rate, latencies, errors = load(port, "POST", "/api/v1/alerts/", headers, self.alert, threads=threads,
                                           seconds=seconds, expect=201)
            get_headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
            floor_rate, floor_latencies, floor_errors = load(port, "GET", "/bench/empty/", get_headers, None,
                                                             threads=threads, seconds=seconds / 2, expect=200)
        if not latencies:
            raise CaseError(f"no alert was accepted ({errors})")
        result.rate = round(rate, 2)
        result.median_ms = round(statistics.median(latencies), 3)
        result.p95_ms = round(percentile(latencies, 0.95), 3)
        result.runs = len(latencies)
        result.floors = [{"name": "empty view under the same gunicorn", "rate": round(floor_rate, 2),
                          "median_ms": round(statistics.median(floor_latencies), 3) if floor_latencies else None}]
        result.note = (f"gunicorn, 2 workers, production mode; {threads} client threads for {seconds:g} s"
                       + (f"; other answers (status: count) {errors}" if errors else "")
                       + (f"; the floor's other answers {floor_errors}" if floor_errors else ""))

    # --- audit trail verification ---------------------------------------------------------------------------------

    def case_verify(self, wanted):
        from portal.core.auditchain import chained_models

        tables = [model._meta.db_table for model in chained_models()]
        floor = ("bare read of the same history rows (COPY on PostgreSQL, fetchmany on SQLite)",
                 lambda: stream_tables(tables))

        def verify(*args):
            call_command("verify_audit_trail", *args, stdout=io.StringIO())

        if "verify_audit_trail" in wanted:
            rows = history_rows(tables)
            self.add(self.timed_case("verify_audit_trail", verify, [floor],
                                     note=f"{rows:,} history rows in {len(tables)} chained tables"))
        if "verify_audit_trail_incremental" in wanted:
            from portal.management.commands.verify_audit_trail import Command

            parser = Command().create_parser("manage.py", "verify_audit_trail")
            if "--incremental" not in parser._option_string_actions:
                self.add(Result(case="verify_audit_trail_incremental", size=self.size, database=self.database,
                                na="verify_audit_trail has no --incremental option yet"))
            else:
                self.add(self.timed_case("verify_audit_trail_incremental", lambda: verify("--incremental"),
                                         [floor], note="after a first (untimed) run set the verified point"))

    # --- blast radius ---------------------------------------------------------------------------------------------

    def case_blast(self, wanted):
        from inventory.models import ComponentDependency
        from inventory.selectors import systems_affected_by_component

        result = Result(case="blast_radius", size=self.size, database=self.database)
        try:
            components = self.config.get("graph_components", 10_000)
            root, edges = build_graph(components, per_component=5, systems=200)
            analyze_graph()
            hit = []

            def call():
                hit[:] = list(systems_affected_by_component(root))

            result = self.timed_case("blast_radius", call, [
                ("raw SQL reading every edge", raw_sql(ComponentDependency.objects.filter(
                    component__name__startswith="bench-graph-")))])
            result.note = f"from the root of {components:,} components / {edges:,} edges; {len(hit)} systems hit"
        except Exception as exc:  # reported as the case's error
            result.error = f"{type(exc).__name__}: {exc}"[:300]
        self.add(result)


def build_graph(components, *, per_component, systems):
    """A dependency graph of `components` components, each depending on up to `per_component` earlier ones (its
    binary-tree parent among them, so all depend on the root), with `systems` systems on the last components.
    Written with `bulk_create_with_history`, so every row has its chained history row."""
    import random

    from simple_history.utils import bulk_create_with_history

    from inventory.models import AISystem, Component, ComponentDependency, SystemComponent

    rng = random.Random(components)  # noqa: S311 - benchmark data, not security
    bulk_create_with_history([Component(kind="library", name=f"bench-graph-{i}", version="1")
                              for i in range(components)], Component, batch_size=2000)
    ids = list(Component.objects.filter(name__startswith="bench-graph-").order_by("id").values_list("id", flat=True))
    pairs = []
    for i in range(1, len(ids)):
        targets = {(i - 1) // 2}
        while len(targets) < min(per_component, i):
            targets.add(rng.randrange(i))
        pairs.extend((ids[i], ids[t]) for t in targets)
    bulk_create_with_history([ComponentDependency(component_id=a, depends_on_id=b) for a, b in pairs],
                             ComponentDependency, batch_size=2000)
    bulk_create_with_history([AISystem(name=f"Bench graph {i}", slug=f"bench-graph-{i}", purpose="benchmark")
                              for i in range(systems)], AISystem)
    system_ids = AISystem.objects.filter(slug__startswith="bench-graph-").values_list("id", flat=True)
    bulk_create_with_history([SystemComponent(system_id=s, component_id=ids[-1 - n % len(ids)])
                              for n, s in enumerate(system_ids)], SystemComponent)
    return Component.objects.get(pk=ids[0]), len(pairs)


def analyze_graph():
    """Fresh planner statistics for the tables the graph just grew, as autovacuum would take them shortly after
    (PostgreSQL: as the owner role where the portal serves as another, since only the owner may ANALYZE; inside a
    transaction, as in the test suite's smoke run, the runtime role's ANALYZE skips what it does not own)."""
    from inventory.models import AISystem, Component, ComponentDependency, SystemComponent
    from portal.core import dbroles

    tables = [connection.ops.quote_name(m._meta.db_table)
              for m in (Component, ComponentDependency, AISystem, SystemComponent)]
    owner = dbroles.as_owner() if dbroles.separate_roles() and not connection.in_atomic_block \
        else contextlib.nullcontext()
    with owner, connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def history_rows(tables):
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        return sum(cursor.execute(f"SELECT COUNT(*) FROM {quote(t)}").fetchone()[0] for t in tables)  # noqa: S608


def stream_tables(tables):
    """Read every row of the tables as cheaply as the database allows: COPY to the client on PostgreSQL, a
    streaming cursor on SQLite. Returns the bytes or rows read."""
    quote = connection.ops.quote_name
    total = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                with cursor.cursor.copy(f"COPY {quote(table)} TO STDOUT") as copy:
                    for chunk in copy:
                        total += len(chunk)
        else:
            for table in tables:
                cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - table names from the models
                while rows := cursor.fetchmany(10_000):
                    total += len(rows)
    return total


def load(port, method, path, headers, body, *, threads, seconds, expect):
    """`threads` clients sending requests back to back for `seconds`: (requests per second answered `expect`,
    latencies in ms of those, the other answers counted by status: "500: 3, 429: 1", or "")."""
    latencies, failures, lock = [], collections.Counter(), threading.Lock()
    deadline = time.perf_counter() + seconds

    def client():
        connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < deadline:
            payload = json.dumps(body()).encode() if body else None
            start = time.perf_counter()
            try:
                connection_.request(method, path, body=payload, headers=headers)
                response = connection_.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection_.close()
                connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = type(exc).__name__
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                if status == expect:
                    latencies.append(elapsed)
                else:
                    failures[status] += 1
        connection_.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, ", ".join(f"{k}: {n}" for k, n in failures.most_common())


@contextlib.contextmanager
def gunicorn_server(config):
    """gunicorn as production starts it (gunicorn.conf.py, 2 sync workers) serving `bench_wsgi` on a free loopback
    port, in this process's environment (production mode, the scratch database); stopped by its PID."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    log = open(Path(config["work"]) / "gunicorn.log", "ab")  # noqa: SIM115 - closed below
    env = {**os.environ, "JOBS_EMBEDDED_SCHEDULER": "false", "PYTHONPATH": str(root)}
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(root / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--pythonpath", str(root / "bench"),
         "bench_wsgi:application"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            if server.poll() is not None:
                raise CaseError(f"gunicorn exited at start (see {log.name})")
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/health/", headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
                if probe.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise CaseError("gunicorn did not answer /health/ within 60 s")
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def measure(config):
    """Run the configured cases on the configured database; the results as dictionaries."""
    cases = [case for case in ALL_CASES if case in set(config.get("cases") or ALL_CASES)]
    return [asdict(result) for result in Bench(config).run(cases)]
