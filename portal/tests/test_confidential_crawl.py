"""The sentinel crawl: a confidential field's value reaches only the roles cleared for it, on every page.

A unique sentinel is written into every declared confidential field through the services (recorded, changed, so
the history holds an old and a new one, and approved). Then every URL pattern of the access matrix is requested
with real ids, as anonymous, each role and the superuser, and every API URL also with an API token of each role
and each scope; on top, for every model with a simple-history admin, the history list of every object and the
version page of every history row, the admin changelists searched (`?q=`) and filtered
(`?privileged_analysis__icontains=`) with a part of a sentinel, the API's OPTIONS, browsable pages and error
answers. A sentinel may appear (body or headers, PDFs and CSVs and downloads read as text) only in answers to the
cleared; never in a bundle, an issued document or an export; and it does appear where the cleared read it, so the
crawl cannot pass by seeing nothing. A URL pattern without an entry in the access matrix fails here as there.

The same walk checks the access matrix itself: every URL answers each session client as its entry in
`portal.tests.test_access_matrix.EXPECTED` says (one walk of every URL as every client for both questions, since
each walk takes thousands of requests).

PDFs are rendered by a stand-in that writes the template's HTML and the embedded JSON as the PDF's bytes: what the
renderer would be given is what is checked, without a WeasyPrint process per document.
"""

import datetime as dt
import io
import re
import secrets
import zipfile
from urllib.parse import quote, urlparse

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.template.loader import render_to_string
from django.test import Client
from django.urls import resolve, reverse
from simple_history.admin import SimpleHistoryAdmin

from portal.core import confidential, tokens
from portal.core.models import TokenScope
from portal.tests.test_access_matrix import (
    ANON,
    AU,
    CLIENTS,
    CO,
    EXPECTED,
    IR,
    LE,
    LR,
    STAFF,
    SU,
    build_scene,
    build_url,
    outcome,
    url_patterns,
)
from remediation import services as remediation_services
from reporting import services as reporting_services
from reporting.models import DisclosureDecision, Document, DocumentKind
from reporting.pdf import canonical_json

pytestmark = pytest.mark.django_db

RUN = secrets.token_hex(4)

# Who may read each confidential field: the crawl's own copy of the declaration, so that widening a clearance is a
# deliberate change here too. A field declared in the kernel without an entry here fails the crawl.
CLEARED = {("reporting.disclosuredecision", "privileged_analysis"): {CO, LR, SU},
           ("remediation.affectedrecord", "subject_ref"): {CO, IR, LR, SU}}

# Answers that never carry a confidential value, whoever asks: bundles, issued documents, exports, metrics.
NEVER = {"audit:incident_bundle_csv", "audit:incident_bundle_pdf", "audit:incident_bundle_zip", "document-download",
         "admin:reporting_document_download", "incident-aiid-export", "dashboard:metrics_csv"}
# Downloads made for the reader who asks, each column checked against the declaration as an API answer is (the
# ledger's exports): the cleared find the value there, the others not even the column.
FOR_THE_READER = {"affected-record-export-csv", "affected-record-export-jsonl"}


class Sentinel(str):
    """A value to find: `probe` (its first part) is what a search may send; `tail` is never sent anywhere, so an
    answer that contains it leaked the value (an answer may echo the probe the request itself carried)."""

    def __new__(cls, n):
        value = super().__new__(cls, f"SNTL{RUN}q{n}w{secrets.token_hex(10)}")
        value.probe = f"SNTL{RUN}q"
        value.tail = value[-20:]
        return value


# --- writing the sentinels through the services -----------------------------------------------------------------

def _write_disclosure_analyses(scene):
    """Decision 1 (the scene's): changed twice, then approved, so its history holds three values. Decision 2:
    recorded and changed, left awaiting approval (its change page is an editable form for compliance)."""
    users = scene.users
    s1, s2, s3, s4, s5 = (Sentinel(n) for n in range(1, 6))
    first = scene.decision
    reporting_services.disclosure_update(actor=users[CO], decision=first, privileged_analysis=s1)
    reporting_services.disclosure_update(actor=users[CO], decision=first, privileged_analysis=s2)
    reporting_services.disclosure_approve(actor=users[LR], decision=first, note="Agreed.",
                                          expected_version=first.version)
    second = reporting_services.disclosure_record(
        actor=users[CO], incident=scene.incident, audience="public", decision="disclose",
        rationale="Customers asked.", legal_basis="Contract, clause 12.", shareable_summary="Transcripts leaked.",
        privileged_analysis=s3)
    reporting_services.disclosure_update(actor=users[CO], decision=second, privileged_analysis=s4)
    reporting_services.disclosure_approve(actor=users[LR], decision=second, note="Publish.",
                                          expected_version=second.version)
    third = reporting_services.disclosure_record(
        actor=users[CO], incident=scene.incident, audience="customers", decision="defer",
        revisit_by=dt.date(2030, 1, 1), rationale="Facts open.", legal_basis="Contract, clause 12.",
        privileged_analysis=s5)
    # Issued documents and exports that read the decisions: the record PDF and the post-incident report.
    reporting_services.document_issue(actor=users[CO], kind=DocumentKind.DISCLOSURE_DECISION, disclosure=first,
                                      expected_version=first.version)
    scene.incident.refresh_from_db()
    reporting_services.document_issue(actor=users[CO], kind=DocumentKind.POST_INCIDENT_REPORT,
                                      incident=scene.incident, expected_version=scene.incident.version)
    scene.decisions = [first, second, third]
    scene.approved, scene.editable = first, third
    return [s1, s2, s3, s4, s5]


def _write_subject_refs(scene):
    """Two affected records of the scene's incident with a pseudonymous subject each; the first moved once, so its
    history holds its value twice."""
    users = scene.users
    s6, s7 = Sentinel(6), Sentinel(7)
    first = remediation_services.affected_record_create(
        actor=users[CO], incident=scene.incident, kind="person", external_id="crawl-1", subject_ref=s6,
        jurisdiction="DE", contact_channel="email")
    remediation_services.affected_record_move(actor=users[IR], record=first, to="under_re_review",
                                              expected_version=first.version)
    remediation_services.affected_record_create(actor=users[CO], incident=scene.incident, kind="decision",
                                                external_id="crawl-2", subject_ref=s7)
    return [s6, s7]


WRITERS = {("reporting.disclosuredecision", "privileged_analysis"): _write_disclosure_analyses,
           ("remediation.affectedrecord", "subject_ref"): _write_subject_refs}


# --- clients ------------------------------------------------------------------------------------------------------

def _session_clients(users):
    made = {ANON: Client()}
    for role in STAFF:
        made[role] = Client()
        made[role].force_login(users[role])
    return made


def _token_clients(users):
    """{(role, scope): client} with an API token of the role's user carrying only that scope."""
    made = {}
    for role in STAFF:
        for scope in TokenScope.values:
            _, key = tokens.api_token_create(actor=users[SU], user=users[role], name=f"crawl {scope}",
                                             scopes=[scope])
            made[(role, scope)] = Client(HTTP_AUTHORIZATION=f"Token {key}")
    return made


# --- reading an answer --------------------------------------------------------------------------------------------

def _text(response) -> str:
    """Status, headers and body as text: streamed downloads read, PDFs and CSVs decoded as they are, ZIP archives
    (the signed audit bundle) unpacked member by member."""
    # A streamed download is read to its end; the test client closes it then (closing it again would close the
    # database connection of the test).
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if response.get("Content-Type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"\n".join(archive.read(name) for name in archive.namelist())
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return f"{response.status_code}\n{headers}\n\n{body.decode('utf-8', errors='replace')}"


def _download(response) -> bool:
    """A file handed over (an attachment, a PDF, a CSV, a ZIP): it never carries a confidential value, whoever
    asks."""
    kind = response.get("Content-Type", "")
    return ("attachment" in response.get("Content-Disposition", "")
            or kind.startswith(("application/pdf", "text/csv", "application/zip"))
            or getattr(response, "streaming", False))


def _pdf_stand_in(*, template, context, attachment, **kwargs):
    return b"%PDF-1.7 stand-in\n" + render_to_string(template, context).encode() + b"\n" + canonical_json(attachment)


@pytest.fixture
def pdf_stand_in(monkeypatch):
    from reporting.audit import bundle
    from reporting.services import documents

    monkeypatch.setattr(documents, "render_pdf", _pdf_stand_in)
    monkeypatch.setattr(bundle, "render_pdf", _pdf_stand_in)


@pytest.fixture
def schema_generated_once(monkeypatch):
    """The OpenAPI schema is made from the code, not the data: generated once for the crawl, each request still
    authenticated, checked and rendered as usual."""
    from drf_spectacular.generators import SchemaGenerator

    real, made = SchemaGenerator.get_schema, {}

    def once(self, request=None, public=False):
        key = (public, None if public else getattr(getattr(request, "user", None), "pk", None))
        if key not in made:
            made[key] = real(self, request=request, public=public)
        return made[key]

    monkeypatch.setattr(SchemaGenerator, "get_schema", once)


# --- what is requested ----------------------------------------------------------------------------------------------

def _history_admins():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()
            if isinstance(model_admin, SimpleHistoryAdmin)]


def _history_pages():
    """(model, name, url) of the history list of every object and the version page of every history row, for every
    model with a simple-history admin."""
    pages = []
    for model, _ in _history_admins():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        history = model._meta.concrete_model.history.model
        for object_id, history_id in history.objects.order_by("history_id").values_list("id", "history_id"):
            pages.append((model, f"{info}_simple_history",
                          reverse(f"{info}_simple_history", args=[object_id, history_id])))
        for object_id in sorted(set(history.objects.values_list("id", flat=True))):
            pages.append((model, f"{info}_history", reverse(f"{info}_history", args=[object_id])))
    return pages


def _confidential_object_pages(scene):
    """The change pages and API URLs of every object of a model with confidential fields, and the downloads of
    every issued document (the walk of the access matrix names only the first of each)."""
    pages = []
    for label, _ in CLEARED:
        model = next(m for m in admin.site._registry if m._meta.label_lower == label)
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for obj in model._default_manager.all():
            pages.append((f"{info}_change", reverse(f"{info}_change", args=[obj.pk])))
    for obj in scene.decisions:
        pages.append(("disclosure-decision-detail", reverse("disclosure-decision-detail", args=[obj.pk])))
    # Every issued document (the walk downloads the first): the decision record and the post-incident report too.
    for document in Document.objects.all():
        for name in ("document-download", "admin:reporting_document_download", "document-detail",
                     "admin:reporting_document_change"):
            pages.append((name, reverse(name, args=[document.pk])))
    return pages


def _probes(sentinels):
    """Changelist searches and filters with a part of a sentinel: (name, url, kind, clients). A search on every
    changelist by those not cleared (it must find nothing); on the changelists of the models with confidential
    fields by everyone (the cleared find the records: the probe works); filters on a confidential field, on its
    model or through a relation, by everyone (refused for those not cleared)."""
    probe = quote(sentinels[0].probe)
    cleared = set.union(*CLEARED.values())
    uncleared = [c for c in STAFF if c not in cleared]
    probes = []
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = reverse(f"{info}_changelist")
        declared = [field for label, field in CLEARED if model._meta.label_lower == label]
        probes.append((f"{info}_changelist", f"{changelist}?q={probe}", "search", STAFF if declared else uncleared))
        for field in declared:
            probes.append((f"{info}_changelist", f"{changelist}?{field}__icontains={probe}", "filter", STAFF))
        for relation in model._meta.get_fields():
            target = relation.related_model._meta.label_lower if relation.is_relation and relation.related_model \
                else None
            for label, field in CLEARED:
                if target == label:
                    url = f"{changelist}?{relation.name}__{field}__icontains={probe}"
                    probes.append((f"{info}_changelist", url, "filter", STAFF))
    probes.append(("disclosure-decision-list", f"{reverse('disclosure-decision-list')}?search={probe}"
                                               f"&privileged_analysis={probe}&ordering=privileged_analysis",
                   "api", STAFF))
    probes.append(("audit:index", f"{reverse('audit:index')}?q={probe}", "search", STAFF))
    return probes


def _leaks(text, sentinels):
    return [s for s in sentinels if s.tail in text]


# --- the crawl --------------------------------------------------------------------------------------------------------

def test_every_declared_confidential_field_has_a_writer_and_a_clearance_here():
    declared = {(label, field) for label, fields in confidential.CONFIDENTIAL.items() for field in fields}
    assert declared == set(CLEARED) == set(WRITERS), (
        "Each confidential field needs its cleared roles (CLEARED) and a writer of sentinels (WRITERS) here.")


def test_the_clearances_here_are_the_declared_ones(role_users):
    for (label, field), cleared in CLEARED.items():
        for client in STAFF:
            assert confidential.may_read(role_users[client], label, field) is (client in cleared), (label, client)


# The crawl in three parts, so the test workers share it; each part builds the same scene and writes the same
# sentinels, and each checks every answer it got for leaks.
MATRIX, TOKENS, PAGES = "the access matrix as signed-in users", "the API with every token", \
    "history and version pages, the API's other faces, searches"


@pytest.mark.parametrize("part", [MATRIX, TOKENS, PAGES])
def test_every_url_answers_as_the_access_matrix_says_and_shows_confidential_values_only_to_the_cleared(
        role_users, pdf_stand_in, schema_generated_once, part):
    scene = build_scene(role_users)
    sentinels = []
    for write in WRITERS.values():
        sentinels += write(scene)
    cleared = set.union(*CLEARED.values())
    sessions = _session_clients(role_users)
    token_clients = _token_clients(role_users)

    # A change through the admin form too: Django's own change log must not carry the value.
    editable = scene.editable
    sentinels.append(Sentinel(6))
    response = sessions[CO].post(reverse("admin:reporting_disclosuredecision_change", args=[editable.pk]), {
        "incident": editable.incident_id, "audience": editable.audience, "decision": editable.decision,
        "rationale": editable.rationale, "legal_basis": editable.legal_basis, "revisit_by": "2030-01-01",
        "shareable_summary": "", "privileged_analysis": sentinels[-1], "version": editable.version})
    assert response.status_code == 302, _text(response)[:2000]

    leaks, unlisted, seen = [], set(), {}

    def get(client_name, client, name, url, method="get", **extra):
        response = getattr(client, method)(url, **extra)
        text = _text(response)
        found = _leaks(text, sentinels)
        allowed = ((client_name if isinstance(client_name, str) else client_name[0]) in cleared
                   and name not in NEVER and (name in FOR_THE_READER or not _download(response)))
        if found and not allowed:
            leaks.append(f"{name} {method.upper()} {url} as {client_name}: {[s.tail for s in found]} "
                         f"(status {response.status_code})")
        seen[(client_name, url, method)] = (response, text)
        return response, text

    # 1. Every URL pattern of the access matrix, with real ids, as each client (answering as the matrix says); the
    #    API also with every token.
    wrong = []
    for key, route, pattern in url_patterns() if part in (MATRIX, TOKENS) else ():
        url = build_url(route, scene)
        assert resolve(urlparse(url).path).func == pattern.callback, f"{url} does not resolve to {key}"
        if part == TOKENS:
            if route.startswith("api/"):
                for client_name, client in token_clients.items():
                    get(client_name, client, key, url)
            continue
        got = {client_name: outcome(get(client_name, sessions[client_name], key, url)[0], url)
               for client_name in CLIENTS}
        if key not in EXPECTED:
            unlisted.add(f"{key}: {got}")
        else:
            wrong += [f"{key} {url} as {client}: expected {EXPECTED[key][client]}, got {got[client]}"
                      for client in CLIENTS if got[client] != EXPECTED[key][client]]
    assert not unlisted, ("URL patterns without an entry in the access matrix (outcomes seen, to review before "
                          "adding them to EXPECTED in portal/tests/test_access_matrix.py):\n"
                          + "\n".join(sorted(unlisted)))
    assert not wrong, f"{len(wrong)} answers differ from the access matrix:\n" + "\n".join(wrong)
    if part != PAGES:
        assert seen, "the part crawled nothing"
        assert not leaks, f"{len(leaks)} answers carry a confidential value to someone not cleared:\n" + "\n".join(
            leaks)
        return

    # 2. The history list and version pages of every object of every model with a simple-history admin, and
    #    every object of a model with confidential fields. Those pages are never downloads, so only those not
    #    cleared can make a leak there; the cleared read them where the records have confidential fields.
    uncleared = [c for c in STAFF if c not in cleared]
    for model, name, url in _history_pages():
        for client_name in STAFF if confidential.confidential_fields(model) else uncleared:
            get(client_name, sessions[client_name], name, url)
    for name, url in _confidential_object_pages(scene):
        for client_name in STAFF:
            get(client_name, sessions[client_name], name, url)

    # 3. The API's other faces on the records with confidential fields: OPTIONS metadata, the browsable API (its
    #    forms), and error answers (a stale version, a refused write, a bad value).
    detail = reverse("disclosure-decision-detail", args=[editable.pk])
    for client_name in STAFF:
        client = sessions[client_name]
        for url in (detail, reverse("disclosure-decision-list")):
            get(client_name, client, "api options", url, method="options")
            get(client_name, client, "browsable api", url, HTTP_ACCEPT="text/html")
        get(client_name, client, "api stale change", detail, method="patch", content_type="application/json",
            data={"rationale": "Other.", "version": 1})
        get(client_name, client, "api bad change", detail, method="patch", content_type="application/json",
            data={"revisit_by": "soon", "version": editable.version + 1})
        get(client_name, client, "api stale approval",
            reverse("disclosure-decision-approve", args=[editable.pk]), method="post",
            content_type="application/json", data={"version": 1})

    # 4. Searches and filters with a part of a sentinel: nothing found, or refused, for those not cleared.
    unfound = []
    for name, url, kind, probe_clients in _probes(sentinels):
        for client_name in probe_clients:
            response, _ = get(client_name, sessions[client_name], name, url)
            if client_name in cleared or response.status_code != 200:
                continue
            changelist = response.context.get("cl") if response.context else None
            if changelist is not None and changelist.result_count:
                unfound.append(f"{url} as {client_name}: {changelist.result_count} results")
            found = response.context.get("results") if name == "audit:index" else None
            if found is not None and not found.empty:
                unfound.append(f"{url} as {client_name}: found {found}")
            if kind == "api" and response.json()["count"] != DisclosureDecision.objects.count():
                unfound.append(f"{url} as {client_name}: the filter applied ({response.json()['count']} results)")

    # Django's own change log of the admin change.
    logged = " ".join(f"{e.object_repr} {e.change_message}" for e in LogEntry.objects.all())
    assert not _leaks(logged, sentinels), logged

    assert not leaks, f"{len(leaks)} answers carry a confidential value to someone not cleared:\n" + "\n".join(leaks)
    assert not unfound, "Searches or filters on a confidential field answered someone not cleared:\n" + "\n".join(
        unfound)

    # Not vacuous: the cleared do read the values, where they should (pages the parts above did not open are
    # opened here).
    def shows(client_name, url, sentinel, method="get"):
        if (client_name, url, method) not in seen:
            client = token_clients[client_name] if isinstance(client_name, tuple) else sessions[client_name]
            get(client_name, client, "shows", url, method=method)
        response, text = seen[(client_name, url, method)]
        return response.status_code == 200 and sentinel.tail in text

    admin_change = reverse("admin:reporting_disclosuredecision_change", args=[editable.pk])
    approved_change = reverse("admin:reporting_disclosuredecision_change", args=[scene.approved.pk])
    history = reverse("admin:reporting_disclosuredecision_history", args=[scene.approved.pk])
    s1, s2, *_ = sentinels
    assert shows(CO, admin_change, sentinels[-1]), "compliance: the editable change page"
    assert shows(LR, approved_change, s2), "legal: the read-only view page of an approved decision"
    assert shows(CO, detail, sentinels[-1]), "compliance: the API detail"
    assert shows((LR, TokenScope.READ), reverse("disclosure-decision-detail", args=[scene.approved.pk]), s2)
    assert shows(LR, history, s1) and shows(LR, history, s2), "legal: the history list, old and new"
    assert shows(LR, reverse("audit:incident", args=[scene.incident.reference]), s2), "legal: the audit page"
    first_version = scene.approved.history.order_by("history_id")[1]
    version_page = reverse("admin:reporting_disclosuredecision_simple_history",
                           args=[scene.approved.pk, first_version.history_id])
    assert shows(SU, version_page, s1), "the superuser: a version page"
    # ... and those not cleared learn that it changed.
    _, auditor_history = seen[(AU, history, "get")]
    assert re.search(r"<strong>Privileged analysis</strong> changed", auditor_history), auditor_history[-3000:]
    for client_name in (IR, LE, AU):
        response, _ = seen[(client_name, f"{reverse('admin:reporting_disclosuredecision_changelist')}"
                                         f"?privileged_analysis__icontains={quote(s1.probe)}", "get")]
        assert response.status_code == 400, f"{client_name}: a filter on the privileged analysis is refused"
