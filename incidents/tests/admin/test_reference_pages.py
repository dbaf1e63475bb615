"""The read-only pages around incidents: the timeline list, the evidence register with its digest check, the
runbooks and taxonomies incidents are classified with."""

from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.models import CustodyEntry, Runbook
from incidents.tests.admin.helpers import admin_url, messages_of, page_text
from portal.core import roles


def _override(scene, actor):
    return services.containment_record(actor=actor, incident=scene.incident, kind="maintenance_banner",
                                       target_system=scene.system, override_reason="Owner unreachable.")


def test_the_timeline_list_filters_flagged_events_and_kinds(client_as, responder, scene):
    _override(scene, responder)
    services.incident_note(actor=responder, incident=scene.incident, text="Vendor informed.")
    client, url = client_as(roles.LEGAL_REVIEWER), admin_url("timelineevent", "changelist")

    flagged = client.get(url + "?flagged__exact=1").context["cl"].result_list
    notes = client.get(url + "?kind__exact=note").context["cl"].result_list

    assert [e.summary for e in flagged] == [
        "EMERGENCY OVERRIDE by responder: Maintenance banner on Support bot - Owner unreachable."]
    assert [e.summary for e in notes] == ["Vendor informed."]


def _upload(scene, actor, content=b"alert 4711: prompt injection blocked\n"):
    return services.evidence_add(actor=actor, incident=scene.incident, title="Guardrail alert",
                                 file=SimpleUploadedFile("alert.txt", content))


def test_the_verify_action_rechecks_digests_and_records_the_result_in_the_chain_of_custody(
    client_as, compliance, responder, scene
):
    intact, tampered = _upload(scene, compliance), _upload(scene, compliance, b"another alert\n")
    with tampered.file.storage.open(tampered.file.name, "wb") as stored:
        stored.write(b"rewritten afterwards\n")

    response = client_as(roles.INCIDENT_RESPONDER).post(admin_url("evidence", "changelist"), {
        "action": "verify_digests", "_selected_action": [intact.pk, tampered.pk]}, follow=True)

    shown = messages_of(response)
    assert "Evidence 'Guardrail alert': the SHA-256 digest matches the stored file." in shown
    assert any("does NOT match the stored file" in m for m in shown)
    actions = dict(CustodyEntry.objects.filter(actor=responder).values_list("evidence", "action"))
    assert actions == {intact.pk: "verified", tampered.pk: "verification_failed"}


def test_read_only_roles_are_not_offered_the_verify_action(client_as, compliance, scene):
    evidence = _upload(scene, compliance)

    listing = client_as(roles.AUDITOR).get(admin_url("evidence", "changelist"))
    refused = client_as(roles.AUDITOR).post(admin_url("evidence", "changelist"), {
        "action": "verify_digests", "_selected_action": [evidence.pk]})

    assert "verify_digests" not in listing.content.decode()
    assert refused.status_code in (200, 302)
    assert list(CustodyEntry.objects.values_list("action", flat=True)) == ["collected"]


def test_the_evidence_page_shows_the_digest_and_the_chain_of_custody(client_as, compliance, scene):
    evidence = _upload(scene, compliance)
    services.custody_record(actor=compliance, evidence=evidence, action="transferred", to_party="External counsel")

    text = page_text(client_as(roles.AUDITOR).get(admin_url("evidence", "change", evidence.pk)))

    assert evidence.sha256 in text
    assert "Collected" in text and "Transferred" in text and "External counsel" in text


def test_a_runbook_page_lists_its_steps_with_phase_and_taxonomy(client_as, scene):
    runbook = Runbook.objects.get(incident_class="prompt_injection")

    text = page_text(client_as(roles.INCIDENT_RESPONDER).get(admin_url("runbook", "change", runbook.pk)))

    first = runbook.steps.select_related("csf_category").exclude(csf_category=None).first()
    assert first.title in text and first.get_phase_display() in text
    assert str(first.csf_category) in text


def test_the_taxonomies_are_searchable(client_as, scene):
    client = client_as(roles.AUDITOR)

    atlas = client.get(admin_url("atlastechnique", "changelist") + "?q=AML.T0051").context["cl"].result_list
    owasp = client.get(admin_url("owasprisk", "changelist") + "?q=injection").context["cl"].result_list
    csf = client.get(admin_url("csfcategory", "changelist") + "?q=RS.MA").context["cl"].result_list

    assert "AML.T0051" in [t.id for t in atlas]
    assert [r.id for r in owasp] == ["LLM01:2025"]
    assert [c.id for c in csf] == ["RS.MA"]
