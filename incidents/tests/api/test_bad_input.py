"""Bad input to the incident API and the alert intake answers 400 naming the field (or the problem), never a 500,
and writes nothing: NUL characters in text or nested details, JSON nested thousands of levels deep, numbers of
thousands of digits or beyond a float, dates outside 1970-2200 (whose SLA arithmetic overflowed), and NUL
characters in the URL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.api.alerts import OBSERVABILITY_ALERT
from incidents.models import Incident, TimelineEvent
from incidents.tests.api.conftest import API, field_errors, incident_url
from incidents.tests.api.test_writes import new_incident_payload

pytestmark = pytest.mark.django_db

ALERTS = f"{API}alerts/"
INCIDENTS = f"{API}incidents/"
RANGE = "between 1970-01-01 and 2200-12-31 (UTC)"


@pytest.fixture
def tool(client_for, inventory):
    return client_for("responder", auth="token")


def alert(**overrides):
    return {**OBSERVABILITY_ALERT, "observed_at": (timezone.now() - timedelta(minutes=3)).isoformat(), **overrides}


def counts():
    return Incident.objects.count(), TimelineEvent.objects.count(), Incident.history.count()


@pytest.mark.parametrize("details", ["Toxic output\x00 seen", {"monitor": "tox\x00"},
                                     {"steps": [{"note": ["ok", "bad\x00"]}]}, {"key\x00": 1}])
def test_a_nul_character_in_alert_details_is_refused_naming_details(tool, details):
    response = tool.post(ALERTS, alert(details=details), format="json")
    assert field_errors(response) == {"details"}
    assert "NUL characters" in response.json()["details"][0]
    assert not Incident.objects.exists()


def test_a_nul_in_details_appended_to_an_open_incident_writes_nothing(tool):
    assert tool.post(ALERTS, alert(), format="json").status_code == 201
    before = counts()
    response = tool.post(ALERTS, alert(details={"n": ["\x00"]}), format="json")
    assert field_errors(response) == {"details"} and "(at details.n[0])" in response.json()["details"][0]
    assert counts() == before


@pytest.mark.parametrize("url", [ALERTS, INCIDENTS])
@pytest.mark.parametrize(("body", "words"), [
    ("[" * 2000 + "]" * 2000, "nested more than 64 levels deep"),
    ('{"title": ' + '{"a": ' * 2000 + "1" + "}" * 2001, "nested more than 64 levels deep"),
    ('{"title": "x", "severity": 1' + "0" * 5000 + "}", "at most 100"),
    ('{"title": "x", "severity": 1e999}', "too large"),
    ('{"title": NaN}', "not a JSON number"),
])
def test_json_beyond_the_limits_answers_400_saying_why(client_for, inventory, url, body, words):
    client = client_for("compliance", auth="token")
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert words in response.json()["detail"]
    assert not Incident.objects.exists()


def test_a_body_over_the_upload_limit_is_refused(client_for, inventory, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for("compliance", auth="token").post(INCIDENTS, {"title": "x" * 2000}, format="json")
    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_a_nul_character_in_any_text_field_of_the_api_is_refused_naming_it(client_for, inventory, taxonomy):
    client = client_for("compliance", auth="token")
    payload = new_incident_payload(inventory, taxonomy)
    for field, value in [("title", "Leak\x00"), ("summary", "a\x00"), ("harms", ["privacy\x00"]),
                         ("jurisdictions", ["D\x00"])]:
        response = client.post(INCIDENTS, {**payload, field: value}, format="json")
        assert field_errors(response) == {field}, field
    assert not Incident.objects.exists()


@pytest.mark.parametrize("detected_at", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00",
                                         "1969-12-31T23:59:59Z", "2201-01-01T00:00:00Z"])
def test_an_incident_detected_outside_1970_to_2200_is_refused_naming_the_range(client_for, inventory, taxonomy,
                                                                               detected_at):
    """9999-12-31 with severity P3 (SLA in business days) answered 500 OverflowError."""
    payload = {**new_incident_payload(inventory, taxonomy), "severity": "p3", "detected_at": detected_at,
               "occurred_at": None}
    response = client_for("compliance", auth="token").post(INCIDENTS, payload, format="json")
    assert field_errors(response) == {"detected_at"}
    assert RANGE in response.json()["detected_at"][0]
    assert not Incident.objects.exists()


def test_an_incident_detected_at_the_end_of_the_range_gets_its_p3_deadlines(client_for, inventory, taxonomy):
    payload = {**new_incident_payload(inventory, taxonomy), "severity": "p3", "detected_at": "2200-12-31T23:59:59Z",
               "occurred_at": "2200-12-31T20:00:00Z"}
    response = client_for("compliance", auth="token").post(INCIDENTS, payload, format="json")
    assert response.status_code == 201, response.content
    incident = Incident.objects.get()
    assert incident.detected_at.year == 2200
    due = {row["target"]: row["due_at"] for row in response.json()["sla"]}
    assert all(value.startswith("2201-01-") for value in due.values()), due


@pytest.mark.parametrize("field", ["aware_at", "occurred_at", "detected_at"])
def test_a_patch_to_year_9999_is_refused_and_changes_nothing(client_for, incident, field):
    client = client_for("compliance", auth="token")
    before = (getattr(incident, field), incident.version, incident.history.count())
    response = client.patch(incident_url(incident), {field: "9999-12-31T23:59:59Z", "version": incident.version},
                            format="json")
    assert field_errors(response) == {field} and RANGE in response.json()[field][0]
    incident.refresh_from_db()
    assert (getattr(incident, field), incident.version, incident.history.count()) == before


def test_a_transition_dated_in_year_9999_is_refused(client_for, incident):
    client = client_for("compliance", auth="token")
    response = client.post(incident_url(incident, "transition/"),
                           {"to": "triaged", "at": "9999-01-01T00:00:00Z", "version": incident.version},
                           format="json")
    assert field_errors(response) == {"at"}
    incident.refresh_from_db()
    assert incident.status == "detected"


def test_the_alert_service_refuses_nul_and_out_of_range_times_naming_each_field(role_users, inventory):
    from django.core.exceptions import ValidationError

    from portal.core import roles

    with pytest.raises(ValidationError) as caught:
        services.alert_receive(actor=role_users[roles.INCIDENT_RESPONDER], source="tool\x00", dedup_key="k",
                               severity="high", title="t", details={"a": "\x00"}, system=inventory.system.slug,
                               observed_at=timezone.now().replace(year=1960))
    assert set(caught.value.message_dict) == {"source", "details", "observed_at"}
    assert RANGE in caught.value.message_dict["observed_at"][0]
    assert not Incident.objects.exists()


@pytest.mark.parametrize("url", ["/api/v1/incidents/AIIR%00/", "/api/v1/incidents/?search=%00",
                                 "/api/v1/incidents/?ordering=%00", "/api/v1/systems/?q%00=1"])
def test_a_nul_character_in_an_api_url_answers_400_naming_the_parameter(client_for, inventory, url):
    response = client_for("compliance", auth="token").get(url)
    assert response.status_code == 400
    assert "NUL characters" in next(iter(response.json().values()))[0]


def test_a_nul_character_in_an_admin_url_answers_400(role_users):
    from django.test import Client

    client = Client()
    client.force_login(role_users["admin"])
    response = client.get("/admin/incidents/incident/?q=%00")
    assert response.status_code == 400 and b"NUL characters" in response.content


@pytest.mark.parametrize("query", ["detected_after=0001-01-01T00:00:00%2B14:00",
                                   "detected_before=9999-12-31T23:59:59Z"])
def test_a_list_filter_date_outside_the_range_answers_400_naming_the_filter(client_for, incident, query):
    response = client_for("compliance", auth="token").get(f"{INCIDENTS}?{query}")
    assert response.status_code == 400, response.content
    assert RANGE in response.json()[query.split("=")[0]][0]


@pytest.mark.parametrize("query", ["page=99999999999999999999", "page=-1", "ordering=nope,-%3B",
                                   "commander=1" + "0" * 30, "severity=p9", "open=maybe"])
def test_odd_list_parameters_answer_below_500(client_for, incident, query):
    assert client_for("compliance", auth="token").get(f"{INCIDENTS}?{query}").status_code < 500


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token \x00", "Bearer x", "Basic !!!", "Token " + "a" * 5000])
def test_a_malformed_authorization_header_is_refused_without_a_server_error(client_for, incident, header):
    response = client_for(None).get(INCIDENTS, HTTP_AUTHORIZATION=header)
    assert response.status_code in (401, 403)


def test_the_incident_services_refuse_out_of_range_dates_from_any_caller(role_users, incident):
    """Commands and other Python callers, not only the API and the admin, get a ValidationError naming the field."""
    from datetime import UTC, datetime

    from django.core.exceptions import ValidationError

    from portal.core import roles

    actor = role_users[roles.COMPLIANCE_OFFICER]
    year_9999 = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    with pytest.raises(ValidationError) as opened:
        services.incident_open(actor=actor, title="t", track="safety", incident_class="other", severity="p3",
                               detected_at=year_9999)
    with pytest.raises(ValidationError) as updated:
        services.incident_update(actor=actor, incident=incident, aware_at=year_9999)
    with pytest.raises(ValidationError) as moved:
        services.incident_transition(actor=actor, incident=incident, to="triaged", at=year_9999)
    assert [set(e.message_dict) for e in (opened.value, updated.value, moved.value)] == [
        {"detected_at"}, {"aware_at"}, {"at"}]
    assert Incident.objects.count() == 1
    incident.refresh_from_db()
    assert (incident.version, incident.status) == (1, "detected")


@pytest.mark.parametrize(("code", "hint"), [("UK", "use GB"), ("EL", "use GR"), ("UK-SCT", "use GB-SCT")])
def test_the_eus_own_country_codes_are_refused_with_the_iso_code_to_use(client_for, inventory, taxonomy, code, hint):
    """`UK` and `EL` (the EU's abbreviations) would drop UK GDPR or the GDPR from the clock: refused with a hint."""
    payload = {**new_incident_payload(inventory, taxonomy), "jurisdictions": ["DE", code]}
    response = client_for("compliance", auth="token").post(INCIDENTS, payload, format="json")
    assert field_errors(response) == {"jurisdictions"}
    assert hint in str(response.json())
    assert not Incident.objects.exists()
