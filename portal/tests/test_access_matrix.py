"""The access matrix: every URL pattern of the site, requested as anonymous and as each role, answers as the
table below says. A pattern without an entry fails the test with its name, so no URL ships unreviewed. The walk
itself, every URL as every client against this table, is done by the sentinel crawl
(`portal/tests/test_confidential_crawl.py`), which asks at the same time whether a confidential value leaked.

What is requested: every pattern the URL resolver knows (the admin with each ModelAdmin's URLs, the REST API, the
dashboard, the audit pages, health and home), with its parameters filled from a scene built through the services.
A pattern with a format suffix (`systems.json`) is requested too and answers as its name's entry says.

Outcomes, for a GET:
- OK: 2xx, or a redirect to the same area (a local path under the same first path segment; the home page may send
  anywhere on the site, /favicon.ico to the static files) that is not the login page;
- REFUSED: a redirect to the login page, 401 or 403;
- NO_GET: 405, the pattern takes no GET (it was let past the permission check: its writes are checked by the
  POST checks below or by the app's own tests);
- NOT_FOUND: 404, for the admin's catch-all pattern.
Anything else (a 404 for an object that exists, a 500, a redirect elsewhere) fails.

To add a pattern: run the test, read the outcomes the failure message shows for the new pattern, check them
against the roles' permissions (README, roles table), and write the entry.
"""

import re
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from incidents import services as incident_services
from incidents.models import SlaNotice
from incidents.tests.factories import checklist_item
from inventory.models import AISystem, InventoryEvent
from inventory.tests.factories import make_small_inventory
from portal.core import roles, tokens
from portal.core import tasks as core_tasks
from remediation import services as remediation_services
from reporting import services as reporting_services
from reporting.models import DocumentKind
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db

OK, REFUSED, NO_GET, NOT_FOUND = "ok", "refused", "405", "404"

ANON = "anonymous"
CO, IR, LR, LE, AU = (roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER, roles.LEGAL_REVIEWER, roles.LEADERSHIP,
                      roles.AUDITOR)
SU = "admin"  # the superuser
CLIENTS = (ANON, CO, IR, LR, LE, AU, SU)
STAFF = (CO, IR, LR, LE, AU, SU)
NOBODY = ()
INCIDENT_WRITERS = (CO, IR, SU)


def allow(*who, others=REFUSED, **special):
    """{client: outcome}: OK for `who`, `others` for the rest; `special` overrides single clients by short name."""
    table = {client: OK if client in who else others for client in CLIENTS}
    table.update({SHORT[name]: outcome for name, outcome in special.items()})
    return table


SHORT = {"anonymous": ANON, "compliance": CO, "responder": IR, "legal": LR, "leadership": LE, "auditor": AU,
         "admin": SU}


def posts_only(*who):
    """A POST-only endpoint: clients let past the permission check get 405 for a GET."""
    return allow(others=REFUSED, **{short: NO_GET for short, client in SHORT.items() if client in who})


def admin_model(label, *, view, add, change=None, delete=NOBODY, simple_history=False, extra=None):
    """The URLs of one ModelAdmin (`label` = app_model). A GET of the change page is a read-only page for a client
    with the view permission only, so `change` defaults to `view`; the history page needs the view permission."""
    change = view if change is None else change
    entries = {
        f"admin:{label}_changelist": allow(*view),
        f"admin:{label}_add": allow(*add),
        f"admin:{label}_change": allow(*change),
        f"admin:{label}_delete": allow(*delete),
        f"admin:{label}_history": allow(*view),
        # `<object_id>/`: the admin's redirect to the change page, for every signed-in staff user.
        f"admin:{label}_redirect": allow(*STAFF),
    }
    if simple_history:
        entries[f"admin:{label}_simple_history"] = allow(*view)
    entries.update(extra or {})
    return entries


READERS = STAFF  # every role reads every record in the admin and the API
INVENTORY_WRITERS = (CO, SU)
SUPERUSER = (SU,)
REFERENCE = {"add": NOBODY, "delete": NOBODY}  # read-only in the admin: reference data, logs, append-only records

EXPECTED = {
    # --- the site shell
    "home": allow(*CLIENTS),  # a redirect to the admin
    "health": allow(*CLIENTS),
    "favicon": allow(*CLIENTS),  # a redirect to the icon among the static files
    # --- the admin site
    "admin:index": allow(*STAFF),
    "admin:login": allow(*CLIENTS),  # signed in: a redirect to the index
    "admin:logout": allow(ANON, others=NO_GET),  # POST only; anonymous visitors are sent to the index
    "admin:password_change": allow(*STAFF),
    "admin:password_change_done": allow(*STAFF),
    # Searching users for a RACI assignment: whoever may add or change RACI assignments (portal/admin.py).
    "admin:autocomplete": allow(*INVENTORY_WRITERS),
    "admin:jsi18n": allow(*STAFF),
    "admin:view_on_site": allow(others=NOT_FOUND, anonymous=REFUSED),  # no model has a page outside the admin
    "admin:app_list": allow(*STAFF),
    "admin:catch_all": allow(others=NOT_FOUND, anonymous=REFUSED),
    # Users, groups, the login-throttling records and API tokens: superusers only.
    **admin_model("auth_group", view=SUPERUSER, add=SUPERUSER, delete=SUPERUSER),
    **admin_model("auth_user", view=SUPERUSER, add=SUPERUSER, delete=SUPERUSER,
                  extra={"admin:auth_user_password_change": allow(*SUPERUSER)}),
    **admin_model("axes_accessattempt", view=SUPERUSER, add=NOBODY, delete=SUPERUSER),
    **admin_model("axes_accesslog", view=SUPERUSER, add=NOBODY, delete=SUPERUSER),
    **admin_model("axes_accessfailurelog", view=SUPERUSER, add=NOBODY, delete=SUPERUSER),
    **admin_model("core_apitoken", view=SUPERUSER, add=SUPERUSER, delete=NOBODY),  # revoked, never deleted
    # Jobs: every staff user has a job list (of the jobs they may see); a job's page, history and result file are
    # for its starter and the roles its kind names (the scene's: a scheduled audit checkpoint, for the audit roles).
    **admin_model("core_job", view=(CO, LR, AU, SU), add=NOBODY, delete=NOBODY, simple_history=True,
                  extra={"admin:core_job_changelist": allow(*STAFF),
                         "admin:core_job_result": allow(CO, LR, AU, SU)}),
    # The inventory: compliance officers keep it.
    **{entry: outcomes for model in ("aisystem", "component", "systemcomponent", "componentdependency", "team",
                                     "raciassignment", "escalationstep")
       for entry, outcomes in admin_model(f"inventory_{model}", view=READERS, add=INVENTORY_WRITERS,
                                          delete=INVENTORY_WRITERS, simple_history=True).items()},
    # Importing an AIBOM (a job): for whoever may add AI systems.
    "admin:inventory_aisystem_import_aibom": allow(*INVENTORY_WRITERS),
    **admin_model("inventory_jurisdiction", view=READERS, **REFERENCE),
    **admin_model("inventory_inventoryevent", view=READERS, **REFERENCE),
    # Incidents: compliance officers and responders open them; nobody deletes one.
    **admin_model("incidents_incident", view=READERS, add=INCIDENT_WRITERS, delete=NOBODY, simple_history=True),
    # A button on the record's page (portal.core.object_actions): for whoever may run its action; a GET changes
    # nothing and sends back to the record's page. The first button of each: issuing the post-incident report.
    "admin:incidents_incident_object_action": allow(CO, SU),
    **{entry: outcomes for model in ("atlastechnique", "owasprisk", "csfcategory", "runbook", "runbookstep",
                                     "timelineevent", "slanotice", "evidence")
       for entry, outcomes in admin_model(f"incidents_{model}", view=READERS, **REFERENCE).items()},
    # Reporting: compliance officers record decisions and facts; documents are issued, obligations computed.
    **admin_model("reporting_disclosuredecision", view=READERS, add=INVENTORY_WRITERS, delete=NOBODY,
                  simple_history=True),
    "admin:reporting_disclosuredecision_object_action": allow(LR, SU),  # approving: legal
    # The chosen incident's obligations, for the decision form: whoever may record a decision.
    "admin:reporting_disclosuredecision_obligations": allow(*INVENTORY_WRITERS),
    "admin:reporting_document_object_action": allow(*READERS),  # verifying a document
    "admin:reporting_obligation_object_action": allow(CO, SU),  # issuing the notification
    **admin_model("reporting_regulatoryfacts", view=READERS, add=INVENTORY_WRITERS, delete=NOBODY,
                  simple_history=True),
    **admin_model("reporting_document", view=READERS, simple_history=True, **REFERENCE,
                  extra={"admin:reporting_document_download": allow(*READERS)}),
    **admin_model("reporting_obligation", view=READERS, simple_history=True, **REFERENCE),
    # The deadline board is a view of the obligations: its change and history pages send to the obligation's.
    **admin_model("reporting_deadlineboardentry", view=READERS, simple_history=True, **REFERENCE),
    # The remediation ledger's imports: every role reads the list (read-only, with history); the add page is the
    # upload that starts an import job, for the ledger's workers (compliance officers and incident responders).
    **admin_model("remediation_affectedrecordimport", view=READERS, add=INCIDENT_WRITERS, delete=NOBODY,
                  simple_history=True),
    # The remediation ledger: compliance officers and responders work it (add a record; moves and queues are the
    # list's actions and the record page's buttons); the other roles read it; nobody deletes a record.
    **admin_model("remediation_affectedrecord", view=READERS, add=INCIDENT_WRITERS, delete=NOBODY,
                  simple_history=True),
    "admin:remediation_affectedrecord_object_action": allow(*INCIDENT_WRITERS),  # a move: for those who work it
    # --- the governance dashboard: leadership, compliance and legal
    "dashboard:index": allow(CO, LR, LE, SU),
    "dashboard:metrics_csv": allow(CO, LR, LE, SU),
    # --- the audit pages: legal reviewers, auditors and compliance officers
    **{f"audit:{name}": allow(CO, LR, AU, SU)
       for name in ("index", "incident", "incident_bundle_csv", "incident_bundle_pdf", "incident_bundle_zip", "system",
                    "document")},
    # Making the audit bundle in the background: POST only, for the audit roles.
    "audit:incident_bundle_job": posts_only(CO, LR, AU, SU),
    # --- the REST API: every role reads; writes are POST-only endpoints here (their roles: the POST checks)
    **{name: allow(*READERS) for name in (
        "api-root", "schema", "api-docs",
        "system-list", "system-detail", "component-list", "component-detail", "component-blast-radius",
        "system-component-list", "system-component-detail", "dependency-list", "dependency-detail", "team-list",
        "team-detail", "raci-list", "raci-detail", "escalation-step-list", "escalation-step-detail",
        "jurisdiction-list", "jurisdiction-detail", "event-list", "event-detail",
        "incident-list", "incident-detail", "incident-review", "incident-checklist-list", "incident-checklist-detail",
        "incident-containment-list", "incident-containment-detail", "incident-evidence-list",
        "incident-evidence-detail", "incident-custody-list", "incident-validation-list",
        "incident-validation-detail", "incident-action-item-list", "incident-aiid-export",
        "incident-regulatory-facts", "obligation-list", "obligation-detail", "document-list", "document-detail",
        "document-download", "disclosure-decision-list", "disclosure-decision-detail")},
    **{name: posts_only(*READERS) for name in (
        "incident-notes", "incident-transition", "incident-checklist-complete", "incident-checklist-reopen",
        "incident-containment-revert", "incident-evidence-verify", "incident-validation-signoff",
        "incident-action-item-complete", "obligation-content", "obligation-issue", "obligation-not-applicable",
        "obligation-reopen", "obligation-submit", "disclosure-decision-approve", "disclosure-decision-return")},
    # Token authentication only: a session is refused whatever its role (see test_api_tokens).
    "alert-intake": allow(),
    # The remediation ledger: every role reads it and its exports (subject_ref only for the cleared roles, see the
    # crawl); moves and bulk changes are POST-only (compliance officers and responders: remediation/tests/test_api*);
    # a bulk change's status is for its starter and the ledger's workers, as its job page is.
    **{name: allow(*READERS) for name in (
        "affected-record-list", "affected-record-detail", "affected-record-export-csv",
        "affected-record-export-jsonl")},
    "affected-record-bulk-job": allow(CO, IR, SU),
    # The notice to individuals: POST-only, for compliance officers (remediation/tests/test_exports_notice.py).
    **{name: posts_only(*READERS) for name in (
        "affected-record-move", "affected-record-bulk", "incident-notice-export", "incident-notice-sent")},
}


# --- the scene -------------------------------------------------------------------------------------------------

def build_scene(users):
    """One of every record a URL can name, written through the services."""
    admin, compliance, legal = users[SU], users[CO], users[LR]
    responder = users[IR]
    inventory = make_small_inventory(actor=admin, members=[responder])
    incident = breach_incident(compliance, systems=[inventory.system])
    evidence = incident_services.evidence_add(actor=admin, incident=incident, title="Gateway logs",
                                              reference="s3://forensics/gw.log")
    review = incident_services.review_record(actor=admin, incident=incident, root_cause="No input filter.")
    obligation = incident.obligations.order_by("pk").first()
    decision = reporting_services.disclosure_record(
        actor=compliance, incident=incident, audience="regulator", decision="disclose",
        rationale="Personal data of 1,200 customers.", legal_basis="GDPR Art. 33",
        shareable_summary="Transcripts were exposed.", privileged_analysis="Counsel's view.")
    # The AI Incident Database export answers only once a decision to disclose there is approved.
    aiid = reporting_services.disclosure_record(
        actor=compliance, incident=incident, audience="aiid", decision="disclose", rationale="Transparency.",
        legal_basis="Voluntary disclosure", shareable_summary="Transcripts were exposed.")
    reporting_services.disclosure_approve(actor=legal, decision=aiid, expected_version=aiid.version)
    document = reporting_services.document_issue(actor=compliance, kind=DocumentKind.REGULATORY_NOTIFICATION,
                                                 obligation=obligation, expected_version=obligation.version)
    reporting_services.regulatory_facts_update(actor=compliance, incident=incident, nis2_entity=True)
    token, _ = tokens.api_token_create(actor=admin, user=responder, name="Datadog", scopes=["alert_intake"])
    SlaNotice.objects.create(incident=incident, target="acknowledge", stage="breached", due_at=timezone.now())
    core_tasks.audit_checkpoint()  # a job started by the schedule, with a result file
    _axes_records()
    affected = remediation_services.affected_record_create(
        actor=compliance, incident=incident, kind="person", external_id="applicant-1", subject_ref="subject-1",
        jurisdiction="DE", contact_channel="email")
    imported = _affected_records_import(compliance, incident)
    scene = SimpleNamespace(
        affected=affected, affected_import=imported,
        users=users, inventory=inventory, system=inventory.system, incident=incident, evidence=evidence,
        review=review, obligation=obligation, decision=decision, document=document, token=token, legal=legal,
        step=checklist_item(incident, actor=admin, order=100),
        containment=incident_services.containment_record(
            actor=admin, incident=incident, kind="maintenance_banner", target_system=inventory.system,
            override_reason="Drill."),
        validation=incident_services.recovery_validation_record(actor=admin, incident=incident),
        action=incident_services.action_item_add(actor=admin, review=review, description="Add a filter",
                                                 owner=admin, due_on=review.reviewed_at.date()),
    )
    _bulk_change_job(scene)  # made with the scene, so that naming it in a URL writes nothing
    return scene


def _affected_records_import(actor, incident):
    """An import of two affected records from a small CSV file."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "affected.csv"
        path.write_text("external_id,kind,jurisdiction\nloan-1,decision,FR\nloan-2,decision,FR\n", encoding="utf-8")
        return remediation_services.affected_records_import(actor=actor, incident=incident, path=path).record


def _axes_records():
    """A failed login and a login, so that the django-axes admin pages have a record each."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    now = timezone.now()
    AccessAttempt.objects.create(username="mallory", ip_address="192.0.2.1", user_agent="test", failures_since_start=1,
                                 attempt_time=now, get_data="", post_data="", http_accept="", path_info="/admin/login/")
    AccessLog.objects.create(username="compliance", ip_address="192.0.2.2", user_agent="test", attempt_time=now,
                             http_accept="", path_info="/admin/login/")
    AccessFailureLog.objects.create(username="mallory", ip_address="192.0.2.1", user_agent="test",
                                    attempt_time=now, http_accept="", path_info="/admin/login/", locked_out=False)


# Which scene record a `pk` names, by the path segment before it.
PK_BY_SEGMENT = {
    "components": lambda s: s.inventory.model, "system-components": lambda s: s.inventory.link,
    "dependencies": lambda s: s.inventory.edge, "teams": lambda s: s.inventory.team,
    "raci": lambda s: s.inventory.raci, "escalation-steps": lambda s: s.inventory.step,
    "events": lambda s: InventoryEvent.objects.order_by("pk").first(),
    "checklist": lambda s: s.step, "containment": lambda s: s.containment, "evidence": lambda s: s.evidence,
    "validations": lambda s: s.validation, "action-items": lambda s: s.action, "obligations": lambda s: s.obligation,
    "documents": lambda s: s.document, "disclosure-decisions": lambda s: s.decision,
    "affected-records": lambda s: s.affected, "bulk": lambda s: _bulk_change_job(s),
}


def _bulk_change_job(scene):
    """A filtered bulk change of the scene's ledger started by the compliance officer (a job, made once)."""
    if not hasattr(scene, "bulk_job"):
        from remediation.tasks import bulk_change_start

        scene.bulk_job, _ = bulk_change_start(
            actor=scene.users[CO], action="assign", reviewer=None, filters={"incident": str(scene.incident.pk)},
            as_of=timezone.now())
    return scene.bulk_job


# Query strings a pattern needs to do its work (without them it refuses the request as malformed).
QUERY = {
    "admin:autocomplete": "?app_label=inventory&model_name=raciassignment&field_name=user&term=a",
}


# --- walking the resolver --------------------------------------------------------------------------------------

def url_patterns(resolver=None, route="", namespace=""):
    """(key, route, pattern) of every pattern: the key is `namespace:name`, or for the admin's unnamed
    `<object_id>/` redirect `admin:<app>_<model>_redirect`, and for its catch-all `admin:catch_all`."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        full = route + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            yield from url_patterns(pattern, full, inner)
        elif isinstance(pattern, URLPattern):
            key = _key(pattern, full, namespace)
            _key_for_route[full] = key
            yield key, full, pattern


def _key(pattern, route, namespace):
    prefix = f"{namespace}:" if namespace else ""
    if pattern.name:
        return prefix + pattern.name
    model = re.match(r"^admin/(\w+)/(\w+)/<path:object_id>/$", route)
    if model:
        return f"admin:{model[1]}_{model[2]}_redirect"
    if route.startswith("admin/") and "(?P<url>" in route:
        return "admin:catch_all"
    return prefix + route


def _value(name, route, scene):
    """The value of URL parameter `name` of `route`, from the scene."""
    if name == "format":
        return "json"
    if name == "reference":
        return scene.incident.reference
    if name == "slug":
        return scene.system.slug
    if name == "code":
        return "DE"
    if name == "evidence_id":
        return scene.evidence.pk
    if name == "url":
        return "no-such-page/"
    if name == "app_label":
        return "inventory"
    if name == "action":  # an action offered as a button on the record's page: the first one
        from django.apps import apps
        from django.contrib import admin

        model = apps.get_model(admin_model_match[1], admin_model_match[2]) if (
            admin_model_match := re.match(r"^admin/(\w+)/(\w+)/", route)) else None
        return next(iter(admin.site.get_model_admin(model).object_actions))
    if name == "content_type_id":
        return ContentType.objects.get_for_model(AISystem).pk
    admin_model_match = re.match(r"^admin/(\w+)/(\w+)/", route)
    if name in ("object_id", "id") or (name == "pk" and admin_model_match):
        if admin_model_match is None:  # the admin's `r/<content_type_id>/<object_id>/`
            return scene.system.pk
        return _admin_object(admin_model_match[1], admin_model_match[2], scene).pk
    if name == "history_id":
        record = _admin_object(admin_model_match[1], admin_model_match[2], scene)
        return record.history.order_by("history_id").first().history_id
    if name == "pk":
        segment = re.findall(r"([\w-]+)/(?:\^)?\(\?P<pk>|([\w-]+)/<(?:\w+:)?pk>", route)
        segment = next(s for pair in segment[-1:] for s in pair if s) if segment else None
        if segment in PK_BY_SEGMENT:
            return PK_BY_SEGMENT[segment](scene).pk
    raise LookupError(f"No value for the URL parameter {name!r} of {route!r}: teach `_value` where it comes from.")


def _admin_object(app_label, model_name, scene):
    from django.apps import apps

    model = apps.get_model(app_label, model_name)
    record = model._default_manager.order_by("pk").first()
    if record is None:
        raise LookupError(f"The scene has no {app_label}.{model_name}: add one to build_scene.")
    return record


def build_url(route, scene):
    """A URL for `route` with its parameters filled from the scene (regex and path-converter routes alike)."""

    def regex_group(match):
        return str(_value(match[1], route, scene))

    def converter(match):
        if match[0].startswith("<drf_format_suffix:"):  # DRF's path-style suffix: `.json`
            return ".json"
        return str(_value(match[1], route, scene))

    url = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", regex_group, route)
    # simple-history's history view has unnamed groups: (object id)/history/(history id)/.
    unnamed = iter(["object_id", "history_id"])
    url = re.sub(r"\(\[\^/\]\+\)", lambda match: str(_value(next(unnamed), route, scene)), url)
    url = re.sub(r"<(?:\w+:)?(\w+)>", converter, url)
    url = url.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    return "/" + url + QUERY.get(_key_for_route.get(route, ""), "")


_key_for_route = {}


# --- outcomes --------------------------------------------------------------------------------------------------

def outcome(response, url):
    code = response.status_code
    if code in (401, 403):
        return REFUSED
    if code in (301, 302, 303, 307, 308):
        target = urlparse(response["Location"])
        if target.path == reverse("admin:login"):
            return REFUSED
        area = url.strip("/").split("/")[0]
        local = not target.scheme and not target.netloc
        if local and (url == "/" or target.path.strip("/").split("/")[0] == area):
            return OK
        if local and url == "/favicon.ico" and target.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return OK
        return f"redirect to {response['Location']}"
    if 200 <= code < 300:
        return OK
    return str(code)


@pytest.fixture
def clients(role_users):
    made = {ANON: Client()}
    for role in STAFF:
        made[role] = Client()
        made[role].force_login(role_users[role])
    return made


def test_every_url_pattern_has_an_entry_in_the_table():
    missing = sorted({key for key, _, _ in url_patterns()} - set(EXPECTED))
    assert not missing, (
        f"URL patterns without an entry in the access matrix ({len(missing)}): {missing}. Decide who may open "
        "each and add it to EXPECTED in portal/tests/test_access_matrix.py.")


def test_the_table_names_no_pattern_that_is_gone():
    stale = sorted(set(EXPECTED) - {key for key, _, _ in url_patterns()})
    assert not stale, f"Entries for URL patterns that no longer exist: {stale}"


# Every URL is requested as every client, and its answer compared with the table, by the sentinel crawl
# (portal/tests/test_confidential_crawl.py), which walks the same URLs with the same scene for the confidential
# fields: one walk of thousands of requests answers both questions.


# --- writes: a few POSTs per role ------------------------------------------------------------------------------
# (label, method, url, payload, {client: outcome}); a client left out is not tried (the write would change what
# the next client meets). The clients are tried in the order of CLIENTS, the refused ones first where it matters.

def _version(record):
    return type(record).objects.get(pk=record.pk).version


WRITE_CHECKS = [
    ("API: create a team", "post", lambda s: "/api/v1/teams/", lambda s, c: {"name": f"Team of {c}"},
     allow(*INVENTORY_WRITERS)),
    ("API: change an AI system", "patch", lambda s: f"/api/v1/systems/{s.system.slug}/",
     lambda s, c: {"purpose": f"Changed by {c}."}, allow(*INVENTORY_WRITERS)),
    ("API: open an incident", "post", lambda s: "/api/v1/incidents/",
     lambda s, c: {"title": f"Jailbreak seen by {c}", "track": "security", "incident_class": "jailbreak",
                   "severity": "p2"}, allow(*INCIDENT_WRITERS)),
    ("API: note on an incident", "post", lambda s: f"/api/v1/incidents/{s.incident.reference}/notes/",
     lambda s, c: {"text": f"Seen by {c}."}, allow(*INCIDENT_WRITERS)),
    ("API: record a disclosure decision", "post", lambda s: "/api/v1/disclosure-decisions/",
     lambda s, c: {"incident": s.incident.reference, "audience": "customers", "decision": "disclose",
                   "rationale": "Facts still open.", "legal_basis": "Contract, clause 12."},
     {**allow(CO), SU: None}),
    ("API: return a disclosure decision", "post", lambda s: f"/api/v1/disclosure-decisions/{s.decision.pk}/return/",
     lambda s, c: {"note": "Name the legal basis precisely.", "version": _version(s.decision)},
     {**allow(LR), SU: None}),
    ("API: add an affected record", "post", lambda s: "/api/v1/affected-records/",
     lambda s, c: {"incident": s.incident.reference, "kind": "person", "external_id": f"added-by-{c}"},
     allow(CO, IR, SU)),
    ("API: bulk change of named affected records", "post", lambda s: "/api/v1/affected-records/bulk/",
     lambda s, c: {"action": "assign", "reviewer": None,
                   "records": [{"id": s.affected.pk, "version": _version(s.affected)}]}, allow(CO, IR, SU)),
    ("API: export the notice file to individuals", "post",
     lambda s: f"/api/v1/incidents/{s.incident.reference}/individual-notice/export/", lambda s, c: {},
     allow(CO, SU)),
    ("API: alert intake with a session", "post", lambda s: "/api/v1/alerts/", lambda s, c: {}, allow()),
    ("admin: revoke API tokens", "post", lambda s: "/admin/core/apitoken/",
     lambda s, c: {"action": "revoke", "_selected_action": [s.token.pk]}, {**allow(), SU: None}),
    ("admin: change an incident", "post", lambda s: f"/admin/incidents/incident/{s.incident.pk}/change/",
     lambda s, c: {"title": "Renamed"}, {**allow(), CO: None, IR: None, SU: None}),
    ("admin: delete a team", "post", lambda s: f"/admin/inventory/team/{s.inventory.team.pk}/delete/",
     lambda s, c: {"post": "yes"}, {**allow(), CO: None, SU: None}),
    ("admin: add an AI system", "post", lambda s: "/admin/inventory/aisystem/add/", lambda s, c: {},
     {**allow(), CO: None, SU: None}),
]


def test_writes_answer_each_client_as_the_table_says(role_users, clients):
    scene = build_scene(role_users)
    wrong = []
    for label, method, url_for, payload_for, expected in WRITE_CHECKS:
        assert set(expected) == set(CLIENTS), label
        for client in CLIENTS:
            if expected[client] is None:
                continue
            url = url_for(scene)
            send = getattr(clients[client], method)
            if url.startswith("/admin/"):  # the admin takes forms, the API JSON
                response = send(url, payload_for(scene, client))
            else:
                response = send(url, payload_for(scene, client), content_type="application/json")
            got = outcome(response, url)
            if got != expected[client]:
                wrong.append(f"{label} as {client}: expected {expected[client]}, got {got} "
                             f"({response.status_code} {response.content[:200]!r})")
    assert not wrong, "\n".join(wrong)
