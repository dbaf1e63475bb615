"""What the audit pages show: every version of a record and of its sub-records, with who, when, from where, the
change type and the field-by-field difference; the search; the privileged analysis only to those who may read it."""

import re

import pytest
from django.urls import reverse

from incidents.models import Incident
from inventory import services as inventory_services
from portal.core import confidential
from portal.core.audit import audit_source
from reporting.audit import views
from reporting.models import Obligation
from reporting.tests.audit.conftest import AUDITOR, COMPLIANCE, LEGAL, PRIVILEGED, text_of

pytestmark = pytest.mark.django_db


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def test_an_incidents_page_lists_its_versions_with_user_source_and_field_diff(client_as, scene):
    incident = scene.incident
    response = _page(client_as(LEGAL), reverse("audit:incident", args=[incident.reference]))
    text = text_of(response)
    versions = response.context["trail"].versions

    assert incident.reference in text
    title_changes = [v for v in versions if v.part.key == "incident" and any(c.name == "title" for c in v.changes)]
    assert [(v.user, v.source) for v in title_changes] == [("compliance", "service"), ("compliance", "api"),
                                                           ("compliance", "api")]
    first_rename = title_changes[1]
    (change,) = [c for c in first_rename.changes if c.name == "title"]
    assert (change.label, change.old, change.new) == ("Title", "Transcripts exposed", "Transcripts leaked (0)")
    assert "Title Transcripts exposed → Transcripts leaked (0)" in text
    assert "API" in text and "Admin" in text and "Service" in text
    assert "Created" in text and "Changed" in text
    assert len(versions) == Incident.history.filter(id=incident.pk).count() + Obligation.history.filter(
        incident_id=incident.pk).count() + sum(
        p.versions for p in response.context["trail"].parts if p.part.key not in ("incident", "obligation"))


def test_an_obligation_submission_shows_as_a_change_of_the_obligation(client_as, scene):
    response = _page(client_as(AUDITOR), reverse("audit:incident", args=[scene.incident.reference]) +
                     "?part=obligation")
    text = text_of(response)
    assert "Status Open → Submitted" in text
    assert "Authority reference — → BfDI-2026-17" in text
    assert "Submitted by — → compliance (#" in text
    assert {v.part.key for v in response.context["page"].object_list} == {"obligation"}


def test_every_kind_of_sub_record_of_the_incident_is_listed(client_as, scene):
    response = _page(client_as(LEGAL), reverse("audit:incident", args=[scene.incident.reference]))
    counts = {p.part.key: p.versions for p in response.context["trail"].parts}
    for key in ("incident", "facts", "obligation", "disclosure", "document", "evidence", "custody", "checklist"):
        assert counts[key] > 0, key
    assert {"containment", "recovery", "review", "action_item"} <= set(counts)
    text = text_of(response)
    assert "Regulatory facts" in text and "Risk to individuals" in text
    assert "SLA next due at" in text
    assert "Collected: Export 0" in text  # the custody entry names its evidence
    first = scene.document
    assert f"Supersedes {first.title} v1 (#{first.pk})" in text  # a creation lists the values set


def test_json_fields_are_shown_as_labelled_values(client_as, scene, compliance):
    from incidents import services as incident_services

    incident_services.incident_update(actor=compliance, incident=scene.incident, harms=["privacy", "financial_loss"])
    text = text_of(_page(client_as(LEGAL), reverse("audit:incident", args=[scene.incident.reference])))
    assert "Harms — → Privacy harm; Financial loss" in text
    assert '["privacy"' not in text


def test_a_systems_page_shows_the_system_its_component_links_raci_and_escalation_steps(client_as, scene,
                                                                                        compliance):
    with audit_source("admin"):
        inventory_services.ai_system_update(actor=compliance, system=scene.system, purpose="Answers tickets.")
    inventory_services.raci_remove(actor=compliance, assignment=scene.inventory.raci)
    response = _page(client_as(AUDITOR), reverse("audit:system", args=[scene.system.slug]))
    text = text_of(response)
    counts = {p.part.key: p.versions for p in response.context["trail"].parts}
    assert counts["system"] >= 2 and counts["component_link"] == 1 and counts["escalation"] == 1
    assert counts["raci"] == 2  # created, then deleted: a deleted record keeps its history
    assert "Uses support-llm" in text
    assert "Own the system: Accountable" in text and "Record deleted" in text
    assert "P1 (high) step 1" in text or "step 1" in text
    purpose = [v for v in response.context["trail"].versions if any(c.name == "purpose" for c in v.changes)][-1]
    assert (purpose.user, purpose.source_label) == ("compliance", "Admin")
    assert "Answers tickets." in text
    assert "Jurisdictions — → DE (Germany) (#" in text  # many-to-many snapshots are compared too


def test_a_documents_page_shows_the_document_and_its_version(client_as, scene):
    document = scene.document
    response = _page(client_as(COMPLIANCE), reverse("audit:document", args=[document.pk]))
    text = text_of(response)
    assert document.title in text and document.sha256 in text
    (version,) = response.context["trail"].versions
    assert (version.type_label, version.user) == ("Created", "compliance")
    assert reverse("audit:incident", args=[scene.incident.reference]) in response.content.decode()
    corrected = scene.incident.documents.get(version=2)
    text = text_of(_page(client_as(COMPLIANCE), reverse("audit:document", args=[corrected.pk])))
    assert "Correction 1" in text and f"document {document.pk}" in text


@pytest.mark.parametrize(("role", "shown"), [(LEGAL, True), (COMPLIANCE, True), ("admin", True), (AUDITOR, False)])
def test_the_privileged_analysis_is_shown_only_to_legal_and_compliance(client_as, scene, role, shown):
    text = text_of(_page(client_as(role), reverse("audit:incident", args=[scene.incident.reference]) +
                         "?part=disclosure"))
    assert "Privileged analysis" in text
    assert (PRIVILEGED in text) is shown
    assert (confidential.WITHHELD in text) is not shown


def test_search_finds_incidents_systems_and_documents(client_as, scene):
    client = client_as(LEGAL)
    index = reverse("audit:index")
    by_reference = _page(client, f"{index}?q={scene.incident.reference}").context["results"]
    assert by_reference.incidents == [scene.incident]
    assert scene.document in by_reference.documents  # documents of the incident, by its reference
    by_slug = _page(client, f"{index}?q=support-bot").context["results"]
    assert by_slug.systems == [scene.system] and by_slug.incidents == []
    by_id = _page(client, f"{index}?q={scene.document.pk}").context["results"]
    assert scene.document in by_id.documents
    nothing = _page(client, f"{index}?q=no-such-thing")
    assert "Nothing matches" in text_of(nothing)
    start = _page(client, index)
    page = start.content.decode()
    assert reverse("audit:incident", args=[scene.incident.reference]) in page
    assert reverse("audit:system", args=[scene.system.slug]) in page
    assert reverse("audit:document", args=[scene.document.pk]) in page


def test_long_histories_are_paginated(client_as, scene, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    client = client_as(LEGAL)
    url = reverse("audit:incident", args=[scene.incident.reference])
    first = _page(client, url).context["page"]
    total = first.paginator.count
    assert total > 10 and len(first.object_list) == 5
    last = _page(client, f"{url}?page={first.paginator.num_pages}").context["page"]
    assert last.end_index() == total
    assert _page(client, f"{url}?page=999").context["page"].number == first.paginator.num_pages
    assert _page(client, f"{url}?part=nonsense").context["part"] is None


def test_the_pages_carry_no_inline_script_or_event_handler(client_as, scene):
    client = client_as(LEGAL)
    for url in (reverse("audit:index"), reverse("audit:incident", args=[scene.incident.reference]),
                reverse("audit:system", args=[scene.system.slug]),
                reverse("audit:document", args=[scene.document.pk])):
        page = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert not re.search(r"\son[a-z]+\s*=", page), url
        main = page[page.index('id="content-main"'):]
        assert " style=" not in main, url
        assert "reporting/audit/audit.css" in page
