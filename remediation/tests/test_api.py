"""The ledger's API: lists with the selectors' filters (bad ones a 400 naming the parameter) paged by cursor in a
constant number of queries, the detail with its version, adding a record and moving one bound to the version read
(428 without it, 409 stale, 400 naming the states allowed next), per role and per token scope; the confidential
subject reference is absent for the roles not cleared for it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import TimelineEvent
from incidents.tests.factories import open_incident
from inventory.tests.factories import make_small_inventory
from portal.core import roles
from portal.core.api_pagination import PageOrCursorPagination
from portal.core.models import TokenScope
from remediation.models import AffectedRecord
from remediation.states import State
from remediation.tests.api_helpers import LIST, field_errors
from remediation.tests.factories import affected_record

pytestmark = pytest.mark.django_db

READERS = ("compliance", "responder", "legal", "leadership", "auditor", "admin")
WORKERS = ("compliance", "responder", "admin")
NOT_CLEARED = ("leadership", "auditor")




@pytest.fixture
def record(compliance, incident):
    return affected_record(compliance, incident=incident, external_id="loan-1", subject_ref="subject-secret",
                           jurisdiction="DE", contact_channel="email")


def detail(record, suffix=""):
    return f"{LIST}{record.pk}/{suffix}"


@pytest.mark.parametrize("role", READERS)
def test_every_role_reads_the_ledger_and_only_the_cleared_see_the_subject_reference(client_for, record, role):
    listed = client_for(role).get(LIST)
    one = client_for(role).get(detail(record))
    assert listed.status_code == 200 and one.status_code == 200
    row = listed.json()["results"][0]
    assert row["external_id"] == "loan-1" and row["version"] == 1 and row["incident"] == record.incident.reference
    assert one["ETag"] == '"1"'
    if role in NOT_CLEARED:
        assert "subject_ref" not in row and "subject_ref" not in one.json()
        assert b"subject-secret" not in listed.content + one.content
    else:
        assert row["subject_ref"] == one.json()["subject_ref"] == "subject-secret"


def test_anonymous_clients_read_nothing(client_for, record):
    assert client_for(None).get(LIST).status_code in (401, 403)
    assert client_for(None).get(detail(record)).status_code in (401, 403)


def test_the_filters_are_the_selectors_and_the_incident_may_be_named_by_reference(client_for, compliance, incident):
    other = open_incident(compliance)
    affected_record(compliance, incident=incident, external_id="a", kind="person", jurisdiction="DE")
    affected_record(compliance, incident=incident, external_id="b", kind="decision", jurisdiction="FR",
                    state=State.UPHELD)
    affected_record(compliance, incident=other, external_id="c", kind="person", jurisdiction="DE")
    client = client_for("compliance")

    def ids(query):
        response = client.get(LIST + query)
        assert response.status_code == 200, response.content
        return [row["external_id"] for row in response.json()["results"]]

    assert ids(f"?incident={incident.reference}") == ["a", "b"]
    assert ids(f"?incident={incident.pk}&kind=person") == ["a"]
    assert ids("?state=upheld,identified") == ["a", "b", "c"]
    assert ids("?jurisdiction=de") == ["a", "c"]
    assert ids("?state=upheld&state=identified&kind=decision") == ["b"]
    assert ids("?reviewer=none&external_id=c") == ["c"]


@pytest.mark.parametrize(("query", "parameter"), [
    ("?state=lost", "state"), ("?kind=person,robot", "kind"), ("?incident=AIIR-1999-0001", "incident"),
    ("?incident=99999999999999999999999", "incident"), ("?system=-1", "system"), ("?jurisdiction=DEU", "jurisdiction"),
    ("?reviewer=someone", "reviewer"), ("?subject_ref=subject-secret", "subject_ref"), ("?colour=red", "colour"),
    ("?external_id=a%00b", "external_id"), ("?incident=AIIR%00-1", "incident"), ("?incident=" + "A" * 300, "incident"),
    ("?cursor=not-a-cursor", "cursor"), ("?page=2", "page"),
])
def test_a_bad_filter_is_a_400_naming_the_parameter(client_for, record, query, parameter):
    assert parameter in field_errors(client_for("compliance").get(LIST + query))


@pytest.mark.parametrize("role", NOT_CLEARED)
def test_the_subject_reference_cannot_be_probed_by_filter_or_order(client_for, record, role):
    client = client_for(role)
    assert "subject_ref" in field_errors(client.get(LIST + "?subject_ref=subject-secret"))
    assert "ordering" in field_errors(client.get(LIST + "?ordering=subject_ref"))


def test_cursor_pages_give_every_record_once_in_id_order(client_for, compliance, incident, monkeypatch):
    monkeypatch.setattr(PageOrCursorPagination, "page_size", 4)
    made = [affected_record(compliance, incident=incident, external_id=f"r-{i}").pk for i in range(10)]
    client, url, seen, sizes = client_for("auditor"), LIST, [], []
    while url:
        page = client.get(url).json()
        assert "count" not in page
        seen += [row["id"] for row in page["results"]]
        sizes.append(len(page["results"]))
        url = page["next"]
    assert seen == sorted(made) and sizes == [4, 4, 2]
    back = client.get(page_before_last := client.get(LIST).json()["next"]).json()["previous"]
    assert page_before_last and [row["id"] for row in client.get(back).json()["results"]] == sorted(made)[:4]


def _list_queries(client, query=""):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST + query)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


def test_the_list_runs_the_same_number_of_queries_for_few_and_many_records(client_for, compliance, role_users,
                                                                         incident):
    client = client_for("responder")
    inventory = make_small_inventory(actor=role_users["admin"])

    def grow(n):
        for i in range(AffectedRecord.objects.count(), n):
            affected_record(compliance, incident=incident, external_id=f"q-{i}", system=inventory.system,
                            reviewer=role_users[roles.INCIDENT_RESPONDER], subject_ref=f"s-{i}")

    grow(2)
    few = _list_queries(client, f"?incident={incident.reference}")
    grow(12)
    many = _list_queries(client, f"?incident={incident.reference}")
    assert few[1] == 2 and many[1] == 12 and few[0] == many[0]


# --- adding a record -----------------------------------------------------------------------------------------------

def _new(on, **fields):
    return {"incident": on.reference, "kind": "person", "external_id": "applicant-9", "subject_ref": "p-9",
            "jurisdiction": "fr", "contact_channel": "post", **fields}


@pytest.mark.parametrize("role", READERS)
def test_compliance_officers_and_responders_add_records_the_others_are_refused(client_for, incident, role):
    response = client_for(role).post(LIST, _new(incident, external_id=f"by-{role}"), format="json")
    if role in WORKERS:
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["state"], body["version"], body["jurisdiction"]) == ("identified", 1, "FR")
        assert TimelineEvent.objects.filter(incident=incident, payload__affected_record=body["id"]).exists()
        record = AffectedRecord.objects.get(pk=body["id"])
        assert record.history.get().history_user == client_for(role).user
    else:
        assert response.status_code == 403
        assert not AffectedRecord.objects.exists()


@pytest.mark.parametrize(("fields", "named"), [
    ({"incident": "AIIR-1999-0404"}, "incident"), ({"kind": "robot"}, "kind"), ({"jurisdiction": "D1"},
                                                                                "jurisdiction"),
    ({"system": "no-such-system"}, "system"), ({"component": 2**70}, "component"), ({"component": "x"}, "component"),
    ({"reviewer": 10**30}, "reviewer"), ({"occurred_at": "1600-01-01T00:00:00Z"}, "occurred_at"),
    ({"external_id": "a\x00b"}, "external_id"), ({"external_id": ["a"]}, "external_id"),
    ({"contact_channel": "pigeon"}, "contact_channel"), ({"state": "closed"}, "state"),
])
def test_a_bad_new_record_is_a_400_naming_the_field_and_nothing_is_written(client_for, incident, fields, named):
    response = client_for("compliance").post(LIST, _new(incident, **fields), format="json")
    assert named in field_errors(response)
    assert not AffectedRecord.objects.exists()


def test_an_external_id_already_listed_is_a_400_naming_it(client_for, record):
    response = client_for("compliance").post(LIST, _new(record.incident, external_id="loan-1"), format="json")
    assert field_errors(response) == {"external_id"}


def test_a_reviewer_who_does_not_work_the_ledger_is_refused_naming_the_reviewer(client_for, incident, role_users):
    response = client_for("compliance").post(
        LIST, _new(incident, reviewer=role_users[roles.LEADERSHIP].pk), format="json")
    assert field_errors(response) == {"reviewer"}


# --- moving a record -------------------------------------------------------------------------------------------------

def test_a_move_bound_to_the_version_read_moves_the_record(client_for, record):
    response = client_for("responder").post(detail(record, "move/"), {"to": "under_re_review", "version": 1,
                                                                      "note": "Model 3.2"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["version"], response["ETag"]) == ("under_re_review", 2, '"2"')
    record.refresh_from_db()
    assert record.note == "Model 3.2" and record.history.order_by("-history_id").first().history_user.username


def test_a_move_takes_the_version_from_if_match(client_for, record):
    response = client_for("compliance").post(detail(record, "move/"), {"to": "under_re_review"}, format="json",
                                             HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content


def test_a_move_without_a_version_is_428_and_changes_nothing(client_for, record):
    response = client_for("compliance").post(detail(record, "move/"), {"to": "under_re_review"}, format="json")
    assert response.status_code == 428
    record.refresh_from_db()
    assert record.state == State.IDENTIFIED


def test_a_stale_move_is_409_naming_who_changed_the_record(client_for, record, role_users):
    first = client_for("responder").post(detail(record, "move/"), {"to": "under_re_review", "version": 1},
                                         format="json")
    assert first.status_code == 200
    stale = client_for("compliance").post(detail(record, "move/"), {"to": "under_re_review", "version": 1},
                                          format="json")
    assert stale.status_code == 409
    assert "responder" in stale.json()["detail"].lower() and "version" in stale.json()["detail"]


def test_a_move_not_allowed_is_a_400_naming_the_states_allowed_next(client_for, record):
    response = client_for("compliance").post(detail(record, "move/"), {"to": "closed", "version": 1},
                                             format="json")
    assert field_errors(response) == {"to"}
    assert "under re-review" in response.json()["to"][0]


@pytest.mark.parametrize("body", [{"to": "lost", "version": 1}, {"to": "upheld", "version": "one"},
                                  {"to": "upheld", "version": 2**70}, {"to": "upheld", "version": 1, "note": "a\x00"}])
def test_a_bad_move_is_a_400_naming_the_field(client_for, record, body):
    response = client_for("compliance").post(detail(record, "move/"), body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) & {"to", "version", "note"}


@pytest.mark.parametrize("role", ("legal", "leadership", "auditor"))
def test_the_reading_roles_cannot_move_records(client_for, record, role):
    response = client_for(role).post(detail(record, "move/"), {"to": "under_re_review", "version": 1},
                                     format="json")
    assert response.status_code == 403


def test_an_unknown_or_huge_record_id_is_a_404(client_for, record):
    assert client_for("compliance").get(f"{LIST}{record.pk + 1000}/").status_code == 404
    assert client_for("compliance").get(f"{LIST}{2**70}/").status_code == 404
    assert client_for("compliance").get(f"{LIST}abc/").status_code == 404


def test_a_read_token_lists_and_a_write_token_is_needed_to_move(client_for, record, role_users):
    reader = client_for("responder", scopes=[TokenScope.READ])
    assert reader.get(LIST).status_code == 200
    refused = reader.post(detail(record, "move/"), {"to": "under_re_review", "version": 1}, format="json")
    assert refused.status_code == 403 and "write" in refused.json()["detail"]
    writer = client_for("responder", scopes=[TokenScope.WRITE])
    moved = writer.post(detail(record, "move/"), {"to": "under_re_review", "version": 1}, format="json")
    assert moved.status_code == 200
    latest = AffectedRecord.objects.get(pk=record.pk).history.order_by("-history_id").first()
    assert latest.history_user == role_users[roles.INCIDENT_RESPONDER]


def test_a_body_naming_a_field_twice_is_refused_and_adds_nothing(client_for, incident):
    body = (f'{{"incident": "{incident.reference}", "kind": "decision", "external_id": "a-1", '
            '"external_id": "a-2"}')
    response = client_for("compliance").post(LIST, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "appears twice" in str(response.json())
    assert not AffectedRecord.objects.exists()
