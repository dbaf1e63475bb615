"""The notice to individuals (GDPR Art. 34): the mail-merge file lists the records with a contact channel in a state
from which notified is next, formula-safe, for compliance officers only, and its export is on the timeline; recording
the notice sent moves exactly the file's records at their versions to notified (all or nothing), and can mark the
incident's Art. 34 obligation submitted. Through the service, the API and the incident's page in the admin."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import TimelineEvent
from incidents.tests.factories import open_incident
from portal.core import roles
from remediation.models import AffectedRecord
from remediation.services.notices import notice_records
from remediation.states import State
from remediation.tests.api_helpers import API, field_errors
from remediation.tests.factories import affected_record
from reporting import services as reporting_services
from reporting.models import Obligation
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db

INJECTION = '=HYPERLINK("http://evil.example/","Click")'



@pytest.fixture
def incident(compliance):
    """A breach with a high risk to individuals: the GDPR Art. 34 obligation is open."""
    incident = breach_incident(compliance)
    reporting_services.regulatory_facts_update(actor=compliance, incident=incident, risk_to_individuals="high")
    return incident


@pytest.fixture
def ledger(compliance, incident):
    """Records of every kind the selection tells apart, by external id."""
    made = {}
    for external_id, state, channel in [
        ("upheld-mail", State.UPHELD, "email"), ("accepted-post", State.REDRESS_ACCEPTED, "post"),
        ("declined-app", State.REDRESS_DECLINED, "in_app"), ("upheld-none", State.UPHELD, "none"),
        ("upheld-unknown", State.UPHELD, ""), ("offered-mail", State.REDRESS_OFFERED, "email"),
        ("notified-mail", State.NOTIFIED, "email"), ("identified-mail", State.IDENTIFIED, "email"),
    ]:
        made[external_id] = affected_record(compliance, incident=incident, external_id=external_id, state=state,
                                            contact_channel=channel, subject_ref=f"subject-{external_id}",
                                            jurisdiction="DE", kind="person")
    affected_record(compliance, incident=open_incident(compliance), external_id="other-incident",
                    state=State.UPHELD, contact_channel="email")
    return made


def export_url(incident):
    return f"{API}incidents/{incident.reference}/individual-notice/export/"


def sent_url(incident):
    return f"{API}incidents/{incident.reference}/individual-notice/sent/"


def read_csv(response):
    assert response.status_code == 200, getattr(response, "content", b"")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def art_34(incident):
    return Obligation.objects.get(incident=incident, key="gdpr.data_subjects")


def test_the_people_to_tell_have_a_contact_channel_and_a_state_from_which_notified_is_next(incident, ledger):
    assert [r.external_id for r in notice_records(incident)] == ["upheld-mail", "accepted-post", "declined-app"]


def test_the_mail_merge_file_carries_who_to_tell_what_and_the_record_version(client_for, incident, ledger):
    rows = read_csv(client_for("compliance").post(export_url(incident)))
    assert [row["external_id"] for row in rows] == ["upheld-mail", "accepted-post", "declined-app"]
    first = ledger["upheld-mail"]
    assert rows[0] == {"external_id": "upheld-mail", "kind": "person", "subject_ref": "subject-upheld-mail",
                       "jurisdiction": "DE", "contact_channel": "email", "state": "upheld",
                       "outcome": "The decision was reviewed again by a person and upheld.",
                       "record_id": str(first.pk), "version": "1"}
    assert "declined the redress" in rows[2]["outcome"]


def test_the_mail_merge_file_makes_formulas_inert(client_for, compliance, incident):
    affected_record(compliance, incident=incident, external_id=INJECTION, subject_ref="+1-555", state=State.UPHELD,
                    contact_channel="email")
    row = read_csv(client_for("compliance").post(export_url(incident)))[0]
    assert row["external_id"] == "'" + INJECTION and row["subject_ref"] == "'+1-555"


def test_the_export_is_recorded_on_the_timeline_with_who_the_count_and_the_filter(client_for, role_users, incident,
                                                                                  ledger):
    read_csv(client_for("compliance").post(export_url(incident)))
    event = TimelineEvent.objects.get(incident=incident, payload__notice_export__isnull=False)
    assert event.actor == role_users[roles.COMPLIANCE_OFFICER] and event.payload["notice_export"] == 3
    assert "mail-merge file of 3 affected records exported" in event.summary
    assert "state: upheld, redress accepted, redress declined" in event.summary
    assert event.payload["filters"]["contact_channel"] == ["email", "post", "phone", "in_app"]


@pytest.mark.parametrize("role", ("responder", "legal", "leadership", "auditor"))
def test_only_compliance_officers_export_the_mail_merge_file(client_for, incident, ledger, role):
    assert client_for(role).post(export_url(incident)).status_code == 403
    assert client_for(role).post(sent_url(incident), {"records": []}, format="json").status_code == 403
    assert not TimelineEvent.objects.filter(incident=incident, payload__notice_export__isnull=False).exists()


def test_the_mail_merge_export_needs_a_write_token_and_is_post_only(client_for, incident, ledger):
    assert client_for("compliance", scopes=["read"]).post(export_url(incident)).status_code == 403
    assert client_for("compliance", scopes=["write"]).post(export_url(incident)).status_code == 200
    assert client_for("compliance").get(export_url(incident)).status_code == 405
    assert client_for("compliance").post(f"{API}incidents/AIIR-1999-0404/individual-notice/export/").status_code \
        == 404


def test_a_malformed_body_refuses_the_export_before_anything_is_recorded(client_for, incident, ledger):
    deep = "[" * 2000 + "]" * 2000
    response = client_for("compliance").post(export_url(incident), deep, content_type="application/json")
    assert response.status_code == 400
    assert not TimelineEvent.objects.filter(incident=incident, payload__notice_export__isnull=False).exists()


def _file_records(client, incident):
    return [{"id": int(row["record_id"]), "version": int(row["version"])}
            for row in read_csv(client.post(export_url(incident)))]


def test_recording_the_notice_moves_exactly_the_exported_records_and_marks_the_obligation(client_for, role_users,
                                                                                         incident, ledger):
    client = client_for("compliance")
    records = _file_records(client, incident)
    obligation = art_34(incident)
    response = client.post(sent_url(incident), {"records": records, "sent_at": "2026-12-01T09:30:00Z",
                                                 "obligation": obligation.pk,
                                                 "obligation_version": obligation.version}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == 3
    states = dict(AffectedRecord.objects.values_list("external_id", "state"))
    assert [name for name, state in states.items() if state == State.NOTIFIED] == [
        "upheld-mail", "accepted-post", "declined-app", "notified-mail"]
    assert states["upheld-none"] == states["upheld-unknown"] == State.UPHELD
    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.SUBMITTED and obligation.submitted_at.day == 1
    event = TimelineEvent.objects.get(incident=incident, payload__notice_sent=3)
    assert event.actor == role_users[roles.COMPLIANCE_OFFICER] and "marked submitted" in event.summary
    moved = AffectedRecord.objects.get(external_id="upheld-mail")
    assert moved.history.order_by("-history_id").first().history_user == role_users[roles.COMPLIANCE_OFFICER]


def test_a_record_changed_since_the_export_refuses_the_whole_recording_naming_it(client_for, role_users,
                                                                               incident, ledger):
    client = client_for("compliance")
    records = _file_records(client, incident)
    from remediation.services import affected_record_move

    affected_record_move(actor=role_users[roles.INCIDENT_RESPONDER], record=ledger["accepted-post"],
                         to=State.NOTIFIED, expected_version=1)
    obligation = art_34(incident)
    response = client.post(sent_url(incident), {"records": records, "obligation": obligation.pk,
                                                "obligation_version": obligation.version}, format="json")
    assert response.status_code == 409 and "accepted-post" in response.json()["detail"]
    assert AffectedRecord.objects.get(pk=ledger["upheld-mail"].pk).state == State.UPHELD
    assert art_34(incident).status == Obligation.Status.OPEN
    assert not TimelineEvent.objects.filter(incident=incident, payload__notice_sent__isnull=False).exists()


@pytest.mark.parametrize(("body", "named"), [
    (lambda ledger, ob: {"records": [{"id": AffectedRecord.objects.get(external_id="other-incident").pk,
                                      "version": 1}]}, "records"),
    (lambda ledger, ob: {"records": [{"id": ledger["upheld-none"].pk, "version": 1}]}, "records"),
    (lambda ledger, ob: {"records": [{"id": ledger["offered-mail"].pk, "version": 1}]}, "records"),
    (lambda ledger, ob: {"records": [{"id": "x", "version": 1}]}, "records"),
    (lambda ledger, ob: {"records": "all"}, "records"),
    (lambda ledger, ob: {}, "records"),
    (lambda ledger, ob: {"records": [{"id": ledger["upheld-mail"].pk, "version": 1}],
                         "sent_at": "2999-01-01T00:00:00Z"}, "sent_at"),
    (lambda ledger, ob: {"records": [{"id": ledger["upheld-mail"].pk, "version": 1}], "obligation": 10**40},
     "obligation"),
    (lambda ledger, ob: {"records": [{"id": ledger["upheld-mail"].pk, "version": 1}], "obligation": ob.pk},
     "obligation_version"),
    (lambda ledger, ob: {"records": [{"id": ledger["upheld-mail"].pk, "version": 1}], "note": "a\x00"}, "note"),
])
def test_a_bad_recording_is_a_400_naming_the_field_and_changes_nothing(client_for, incident, ledger, body, named):
    response = client_for("compliance").post(sent_url(incident), body(ledger, art_34(incident)), format="json")
    assert named in field_errors(response)
    assert not AffectedRecord.objects.filter(state=State.NOTIFIED).exclude(external_id="notified-mail").exists()
    assert art_34(incident).status == Obligation.Status.OPEN


def test_an_obligation_that_is_not_the_incidents_art_34_one_is_refused(client_for, incident, ledger):
    notification = Obligation.objects.get(incident=incident, key="gdpr.notification")
    response = client_for("compliance").post(sent_url(incident), {
        "records": [{"id": ledger["upheld-mail"].pk, "version": 1}], "obligation": notification.pk,
        "obligation_version": notification.version}, format="json")
    assert field_errors(response) == {"obligation"}


# --- the incident's page in the admin ---------------------------------------------------------------------------

def _action(incident, name):
    return reverse("admin:incidents_incident_object_action", args=[incident.pk, name])


def test_the_incident_page_offers_the_notice_buttons_to_compliance_officers_only(client_as, incident, ledger):
    page = client_as(roles.COMPLIANCE_OFFICER).get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert "Export the notice file" in page.content.decode()
    assert "Record the notice to individuals sent" in page.content.decode()
    for role in (roles.INCIDENT_RESPONDER, roles.LEGAL_REVIEWER):
        other = client_as(role).get(reverse("admin:incidents_incident_change", args=[incident.pk]))
        assert other.status_code == 200 and "Export the notice file" not in other.content.decode()
        assert client_as(role).post(_action(incident, "export_notice_file")).status_code == 403


def test_the_admin_exports_the_file_and_records_the_notice_from_the_file_sent(client_as, incident, ledger):
    client = client_as(roles.COMPLIANCE_OFFICER)
    exported = client.post(_action(incident, "export_notice_file"))
    text = b"".join(exported.streaming_content)
    assert text.count(b"\n") == 4
    form = client.post(_action(incident, "record_notice_sent"))
    assert form.status_code == 200 and "3 records of" in form.content.decode()
    obligation = art_34(incident)
    done = client.post(_action(incident, "record_notice_sent"), {
        "apply": "1", "file": SimpleUploadedFile("sent.csv", text, content_type="text/csv"),
        "sent_at": "2026-12-01 09:30", "obligation": f"{obligation.pk}:{obligation.version}"})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert AffectedRecord.objects.filter(state=State.NOTIFIED).count() == 4
    assert art_34(incident).status == Obligation.Status.SUBMITTED


@pytest.mark.parametrize(("content", "says"), [
    (b"external_id,kind\nupheld-mail,person\n", "no record_id"),
    (b"record_id,version\nabc,1\n", "Line 2"),
    (b"record_id,version\n", "lists no records"),
    (b"\xff\xfe\x00", "not UTF-8"),
])
def test_a_bad_notice_file_is_refused_on_the_form_and_changes_nothing(client_as, incident, ledger, content, says):
    response = client_as(roles.COMPLIANCE_OFFICER).post(_action(incident, "record_notice_sent"), {
        "apply": "1", "file": SimpleUploadedFile("sent.csv", content, content_type="text/csv")})
    assert response.status_code == 200 and says in response.content.decode()
    assert AffectedRecord.objects.filter(state=State.NOTIFIED).count() == 1


def test_a_stale_row_in_the_file_is_refused_on_the_form_naming_it(client_as, incident, ledger):
    client = client_as(roles.COMPLIANCE_OFFICER)
    stale = f"record_id,version\n{ledger['upheld-mail'].pk},1\n{ledger['declined-app'].pk},5\n".encode()
    response = client.post(_action(incident, "record_notice_sent"), {
        "apply": "1", "file": SimpleUploadedFile("sent.csv", stale, content_type="text/csv")})
    assert response.status_code == 200 and "declined-app" in response.content.decode()
    assert AffectedRecord.objects.get(pk=ledger["upheld-mail"].pk).state == State.UPHELD
