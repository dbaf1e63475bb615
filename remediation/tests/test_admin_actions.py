"""Working the ledger in the admin: bulk moves and queues (ticked rows with the versions shown, all or nothing; or
every record the filter matches as seen, as a job), a record's own page with its moves as buttons, the add page
through the service, the history page, and who may do what."""

from datetime import timedelta

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone

from incidents.models import TimelineEvent
from portal.core import roles
from portal.core.jobs.models import Job, JobState
from remediation.models import AffectedRecord
from remediation.services import affected_record_move
from remediation.states import State
from remediation.tests import test_admin_ledger
from remediation.tests.test_admin_ledger import AU, CO, IR, LE, LIST, LR

pytestmark = pytest.mark.django_db

ledger = test_admin_ledger.ledger  # the list's scene: two incidents, records in several states and queues

CHANGE = "admin:remediation_affectedrecord_change"


def list_post(client, query, action, records, *, versions=None, across=False, as_of=None, **extra):
    """The list's action form as the page posts it: the rows ticked, the version of each row shown."""
    versions = versions or {r.pk: r.version for r in records}
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [r.pk for r in records],
            "select_across": "1" if across else "0", "as_of": (as_of or timezone.now()).isoformat(),
            **{f"version_{pk}": v for pk, v in versions.items()}, **extra}
    return client.post(reverse(LIST) + query, data)


def test_ticked_rows_move_with_the_versions_shown_after_a_confirmation(client_as, ledger):
    client = client_as(CO)
    rows = [ledger.record(ledger.incident, "loan-1"), ledger.record(ledger.incident, "loan-12")]

    confirm = list_post(client, "", "move_to_upheld", rows, index="0")
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "will move to upheld" in page and 'name="apply"' in page
    assert AffectedRecord.objects.filter(state=State.UPHELD).count() == 0, "nothing before the confirmation"

    done = list_post(client, "", "move_to_upheld", rows, apply="1", note="Model 3.2 was right")

    assert done.status_code == 302
    for row in rows:
        row.refresh_from_db()
        assert (row.state, row.version, row.note, row.state_changed_by) == (State.UPHELD, 2, "Model 3.2 was right",
                                                                            ledger.users[CO])
        assert row.history.latest("history_id").history_user == ledger.users[CO]
    assert TimelineEvent.objects.filter(incident=ledger.incident, payload__bulk_change="move").exists()


def test_a_stale_version_refuses_the_whole_change_naming_the_record(client_as, ledger):
    client = client_as(CO)
    rows = [ledger.record(ledger.incident, "loan-1"), ledger.record(ledger.incident, "loan-12")]
    affected_record_move(actor=ledger.users[IR], record=rows[1], to=State.REVERSED, expected_version=1)

    response = list_post(client, "", "move_to_upheld", rows, versions={rows[0].pk: 1, rows[1].pk: 1}, apply="1")

    assert response.status_code == 302
    message = " ".join(str(m) for m in response.wsgi_request._messages)
    assert "Nothing was changed" in message and "loan-12" in message and "now version 2, yours 1" in message
    rows[0].refresh_from_db()
    assert rows[0].state == State.UNDER_RE_REVIEW


def test_the_confirmation_names_the_ticked_records_that_cannot_move_and_offers_no_confirm(client_as, ledger):
    rows = [ledger.record(ledger.incident, "loan-1"), ledger.record(ledger.incident, "acct-3")]

    page = list_post(client_as(CO), "", "move_to_upheld", rows, index="0").content.decode()

    assert "<strong>1</strong> will move to upheld" in page
    assert "1 closed" in page and "all or nothing" in page
    assert 'name="apply"' not in page


def test_a_tick_list_without_the_versions_shown_changes_nothing(client_as, ledger):
    row = ledger.record(ledger.incident, "loan-1")
    response = client_as(CO).post(reverse(LIST), {"action": "move_to_upheld", helpers.ACTION_CHECKBOX_NAME: [row.pk],
                                                  "select_across": "0", "index": "0", f"version_{row.pk}": "x"})

    assert response.status_code == 302
    assert "did not say which version" in " ".join(str(m) for m in response.wsgi_request._messages)


def test_select_all_changes_every_record_the_filter_matches_as_seen_in_a_job(client_as, ledger):
    client = client_as(CO)
    query = f"?incident__id__exact={ledger.incident.pk}&state__exact=under_re_review"
    page_rows = [ledger.record(ledger.incident, "loan-1")]  # the page's ticked rows: all were ticked by the JS
    seen = timezone.now()
    changed_since = ledger.record(ledger.incident, "loan-12")
    affected_record_move(actor=ledger.users[IR], record=changed_since, to=State.REVERSED, expected_version=1)
    AffectedRecord.objects.filter(pk=changed_since.pk).update(state=State.UNDER_RE_REVIEW)  # back, changed later

    confirm = list_post(client, query, "move_to_reversed", page_rows, across=True, as_of=seen, index="0")
    page = confirm.content.decode()
    assert "<strong>1</strong> will move to reversed" in page
    assert "1 changed by someone since the list was shown: left alone" in page
    assert f"incident: {ledger.incident.reference}; state: under re-review" in page

    done = list_post(client, query, "move_to_reversed", page_rows, across=True, as_of=seen, apply="1", note="batch")

    job = Job.objects.get(kind="remediation.bulk_change")
    assert done.status_code == 302 and done["Location"] == reverse("admin:core_job_change", args=[job.pk])
    assert job.state == JobState.SUCCEEDED and "1 changed by someone else since the selection" in job.summary
    assert ledger.record(ledger.incident, "loan-1").state == State.REVERSED
    assert ledger.record(ledger.other, "loan-1").state == State.UNDER_RE_REVIEW, "outside the filter"
    assert job.params["filters"] == {"incident": str(ledger.incident.pk), "state": "under_re_review"}


def test_select_all_needs_the_moment_the_list_was_shown(client_as, ledger):
    row = ledger.record(ledger.incident, "loan-1")
    response = client_as(CO).post(reverse(LIST), {"action": "move_to_upheld", helpers.ACTION_CHECKBOX_NAME: [row.pk],
                                                  "select_across": "1", "index": "0", "as_of": "yesterday"})

    assert response.status_code == 302 and not Job.objects.exists()
    assert "is not the moment the list was shown" in " ".join(str(m) for m in response.wsgi_request._messages)


def test_ticked_rows_go_to_a_reviewers_queue_and_out_of_it(client_as, ledger):
    client = client_as(IR)
    rows = [ledger.record(ledger.incident, "loan-1"), ledger.record(ledger.incident, "acct-3")]

    page = list_post(client, "", "assign_reviewer", rows, index="0").content.decode()
    assert "<strong>2</strong> will change" in page and "Nobody: take the records out" in page
    list_post(client, "", "assign_reviewer", rows, apply="1", reviewer=ledger.users[CO].pk)

    assert {r.reviewer for r in AffectedRecord.objects.filter(pk__in=[r.pk for r in rows])} == {ledger.users[CO]}
    rows = [ledger.record(ledger.incident, "loan-1")]
    list_post(client, "", "assign_reviewer", rows, apply="1", reviewer="")
    assert ledger.record(ledger.incident, "loan-1").reviewer is None


def test_a_reviewer_who_does_not_work_the_ledger_is_refused_on_the_form(client_as, ledger):
    rows = [ledger.record(ledger.incident, "loan-1")]
    response = list_post(client_as(CO), "", "assign_reviewer", rows, apply="1", reviewer=ledger.users[AU].pk)

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert ledger.record(ledger.incident, "loan-1").reviewer is None


def test_a_role_that_may_not_change_gets_no_actions(client_as, ledger):
    row = ledger.record(ledger.incident, "loan-1")
    for role in (LR, LE, AU):
        response = list_post(client_as(role), "", "move_to_upheld", [row], apply="1")
        assert response.status_code in (200, 302, 403)
        assert ledger.record(ledger.incident, "loan-1").state == State.UNDER_RE_REVIEW
        page = client_as(role).get(reverse(CHANGE, args=[row.pk])).content.decode()
        assert "Move to" not in page and "Put in a queue" not in page


# --- one record ----------------------------------------------------------------------------------------------

def test_the_record_page_is_read_only_with_the_moves_allowed_next_as_buttons(client_as, ledger):
    row = ledger.record(ledger.incident, "loan-1")
    page = client_as(CO).get(reverse(CHANGE, args=[row.pk])).content.decode()

    assert "Move to upheld…" in page and "Move to reversed…" in page and "Put in a queue…" in page
    assert "Move to closed…" not in page
    assert 'name="_save"' not in page and f'name="version_{row.pk}" value="1"' in page


def test_a_button_moves_the_record_after_its_confirmation_carrying_the_version(client_as, ledger):
    client = client_as(IR)
    row = ledger.record(ledger.incident, "loan-1")
    url = reverse("admin:remediation_affectedrecord_object_action", args=[row.pk, "move_to_reversed"])

    confirm = client.post(url, {f"version_{row.pk}": "1"})
    assert confirm.status_code == 200 and f'name="version_{row.pk}" value="1"' in confirm.content.decode()
    done = client.post(url, {f"version_{row.pk}": "1", "apply": "1", "note": "Wrong threshold"})

    assert done.status_code == 302 and done["Location"] == reverse(CHANGE, args=[row.pk])
    row.refresh_from_db()
    assert (row.state, row.note, row.version) == (State.REVERSED, "Wrong threshold", 2)
    assert TimelineEvent.objects.filter(incident=ledger.incident, payload__affected_record=row.pk,
                                        payload__to=State.REVERSED).exists()
    stale = client.post(reverse("admin:remediation_affectedrecord_object_action",
                                args=[row.pk, "move_to_redress_offered"]), {f"version_{row.pk}": "1", "apply": "1"})
    assert "now version 2; your copy is version 1" in " ".join(str(m) for m in stale.wsgi_request._messages)
    row.refresh_from_db()
    assert row.state == State.REVERSED


def test_a_note_with_a_nul_character_is_a_form_error(client_as, ledger):
    row = ledger.record(ledger.incident, "loan-1")
    url = reverse("admin:remediation_affectedrecord_object_action", args=[row.pk, "move_to_reversed"])

    response = client_as(CO).post(url, {f"version_{row.pk}": "1", "apply": "1", "note": "a\x00b"})

    assert response.status_code == 200 and "Null characters are not allowed" in response.content.decode()
    assert ledger.record(ledger.incident, "loan-1").state == State.UNDER_RE_REVIEW


def test_the_add_page_creates_one_record_through_the_service(client_as, ledger):
    response = client_as(CO).post(reverse("admin:remediation_affectedrecord_add"), {
        "incident": ledger.incident.pk, "kind": "person", "external_id": "applicant-9", "subject_ref": "s-9",
        "jurisdiction": "de", "contact_channel": "email", "reviewer": ledger.users[IR].pk})

    record = AffectedRecord.objects.get(external_id="applicant-9")
    assert response.status_code == 302 and response["Location"] == reverse(CHANGE, args=[record.pk])
    assert (record.jurisdiction, record.state, record.reviewer) == ("DE", State.IDENTIFIED, ledger.users[IR])
    assert record.history.get().history_user == ledger.users[CO]
    assert TimelineEvent.objects.filter(incident=ledger.incident, payload__affected_record=record.pk).exists()


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"external_id": "loan-1"}, "external_id", "already lists that external id"),
    ({"jurisdiction": "Germany"}, "jurisdiction", "at most 2 characters"),
    ({"kind": "robot"}, "kind", "Select a valid choice"),
    ({"external_id": "a\x00b"}, "external_id", "Null characters are not allowed"),
    ({"incident": "99999999999999999999"}, "incident", "Select a valid choice"),
    ({"occurred_at_0": "1900-01-01", "occurred_at_1": "00:00"}, "occurred_at", "1970"),
])
def test_the_add_page_names_the_field_of_a_bad_value(client_as, ledger, values, field, message):
    data = {"incident": ledger.incident.pk, "kind": "decision", "external_id": "new-1", **values}
    before = AffectedRecord.objects.count()
    response = client_as(CO).post(reverse("admin:remediation_affectedrecord_add"), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert AffectedRecord.objects.count() == before


def test_the_history_page_shows_the_subjects_changes_only_to_the_cleared(client_as, ledger):
    url = reverse("admin:remediation_affectedrecord_history", args=[ledger.person.pk])
    affected_record_move(actor=ledger.users[CO], record=ledger.person, to=State.UNDER_RE_REVIEW, expected_version=1)
    version = ledger.person.history.earliest("history_id")
    version_url = reverse("admin:remediation_affectedrecord_simple_history", args=[ledger.person.pk,
                                                                                   version.history_id])

    for role in (LE, AU):
        for page_url in (url, version_url):
            response = client_as(role).get(page_url)
            assert response.status_code == 200 and "subject-secret-7" not in response.content.decode()
    assert "subject-secret-7" in client_as(LR).get(version_url).content.decode()


def test_nobody_deletes_a_record(client_as, ledger):
    row = ledger.record(ledger.incident, "loan-1")
    for role in (CO, IR, "admin"):
        response = client_as(role).post(reverse("admin:remediation_affectedrecord_delete", args=[row.pk]),
                                        {"post": "yes"})
        assert response.status_code == 403
    assert AffectedRecord.objects.filter(pk=row.pk).exists()


def test_the_job_of_a_filtered_change_is_on_its_page_for_the_workers(client_as, ledger):
    query = f"?incident__id__exact={ledger.incident.pk}"
    row = ledger.record(ledger.incident, "loan-1")
    list_post(client_as(CO), query, "assign_reviewer", [row], across=True, apply="1", reviewer=ledger.users[IR].pk,
              as_of=timezone.now() + timedelta(seconds=1))
    job = Job.objects.get(kind="remediation.bulk_change")

    page = client_as(IR).get(reverse("admin:core_job_change", args=[job.pk])).content.decode()

    assert "4 affected records put in responder" in page
    assert AffectedRecord.objects.filter(incident=ledger.incident, reviewer=ledger.users[IR]).count() == 4
    assert roles.COMPLIANCE_OFFICER


@pytest.mark.parametrize("value", ["abc", "1.5", "99999999999999999999", "9223372036854775808", "1\x00"])
def test_a_ticked_row_that_is_not_a_record_id_is_refused_with_a_message(client_as, ledger, value):
    row = ledger.record(ledger.incident, "loan-1")
    for extra in ({"index": "0"}, {"apply": "1"}):
        response = client_as(CO).post(reverse(LIST), {"action": "move_to_upheld", "select_across": "0",
                                                      helpers.ACTION_CHECKBOX_NAME: [str(row.pk), value],
                                                      f"version_{row.pk}": str(row.version), **extra})

        assert response.status_code == 302
        message = " ".join(str(m) for m in response.wsgi_request._messages)
        assert "Nothing was changed" in message and "is not a record id" in message
    row.refresh_from_db()
    assert row.state == State.UNDER_RE_REVIEW and row.version == 1
