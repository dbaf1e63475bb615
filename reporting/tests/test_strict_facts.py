"""Facts checked strictly (issue 12, item 4), the same in `manage.py regulatory_clock`, the API and the admin: ISO 3166
codes (with a hint for UK and EL), known obligation keys in `submitted`, no moment before awareness or occurrence,
dates within the supported range, IANA time zones. Each refusal names the fact; nothing is written."""

import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from incidents.tests.admin.helpers import form_data, page_text
from portal.core import roles
from reporting.clock import FactsError, parse_facts
from reporting.models import RegulatoryFacts
from reporting.tests.api.conftest import COMPLIANCE, errors, incident_url, put
from reporting.tests.factories import AWARE, breach_incident

ROOT = Path(__file__).resolve().parents[2]
BASE = {"aware_at": "2027-03-02T10:00:00Z", "occurred_at": "2027-03-01T08:00:00Z"}
RANGE = "between 1970-01-01 and 2200-12-31 (UTC)"

# (facts added to BASE, the key named, words of its message): each row cites the rule it enforces.
BAD_FACTS = [
    # ISO 3166-1 has GB, not the EU's "UK": left unchecked, UK GDPR (UK GDPR Art. 33) would silently not apply.
    ({"locations": ["UK"]}, "locations", "use GB"),
    # ISO 3166-1 has GR, not the EU's "EL": GDPR Art. 33 would silently not apply in Greece.
    ({"locations": ["EL"]}, "locations", "use GR"),
    ({"locations": ["DE-XX"]}, "locations", "not an ISO 3166-2 subdivision of DE"),
    ({"locations": ["ZZ"]}, "locations", "not an ISO 3166-1 alpha-2 country code"),
    ({"entity_country": "EL"}, "entity_country", "use GR"),
    # A misspelt obligation key would leave a chained stage (NIS2 Art. 23(4)(d), one month after the notification)
    # waiting forever.
    ({"submitted": {"nis2.notificaton": "2027-03-03T10:00:00Z"}}, "submitted.nis2.notificaton",
     "unknown obligation key; known keys: "),
    ({"submitted": {"gdpr.notification@DE": "2027-03-03T10:00:00Z"}}, "submitted.gdpr.notification@DE",
     "not counted per location"),
    # DORA (Del. Reg. 2025/301 Art. 5(1)(a)): a major incident is classified once the entity knows of it.
    ({"classified_major_at": "2027-03-02T09:00:00Z"}, "classified_major_at", "is before aware_at"),
    # SEC Item 1.05: the materiality determination follows discovery.
    ({"materiality_determined_at": "2027-02-28T10:00:00Z"}, "materiality_determined_at", "is before aware_at"),
    # 23 NYCRR 500.17(c): the extortion payment is made because of the incident.
    ({"extortion_payment_at": "2027-03-02T09:59:00Z"}, "extortion_payment_at", "is before aware_at"),
    # A notification cannot be submitted before the incident was known.
    ({"submitted": {"nis2.notification": "2027-03-01T10:00:00Z"}}, "submitted.nis2.notification",
     "is before aware_at"),
    # Supported range (portal.core.inputs): no OverflowError at year 9999, no date before 1970.
    ({"classified_major_at": "9999-12-31T23:59:59Z"}, "classified_major_at", RANGE),
    ({"determined_at": "0001-01-01T00:00:00+14:00"}, "determined_at", RANGE),
    ({"entity_time_zone": "+01:00"}, "entity_time_zone", "an offset alone is not enough"),
    # A name longer than the file system allows answered with a traceback (OSError) before names were looked up.
    ({"entity_time_zone": "a" * 300}, "entity_time_zone", "is not an IANA time zone name"),
]


@pytest.mark.parametrize(("extra", "key", "words"), BAD_FACTS, ids=[row[1] + ":" + row[2][:20] for row in BAD_FACTS])
def test_each_bad_fact_is_refused_naming_its_key(extra, key, words):
    with pytest.raises(FactsError) as refused:
        parse_facts({**BASE, **extra})
    assert words in refused.value.errors[key]


def test_a_moment_before_the_incident_occurred_names_occurrence():
    with pytest.raises(FactsError) as refused:
        parse_facts({"aware_at": "2027-03-02T10:00:00Z", "occurred_at": "2027-03-02T10:00:00Z",
                     "classified_major_at": "2027-03-02T09:00:00Z"})
    message = refused.value.errors["classified_major_at"]
    assert "aware_at" in message or "occurred_at" in message


def test_the_known_keys_are_named_when_a_submitted_key_is_unknown():
    with pytest.raises(FactsError) as refused:
        parse_facts({**BASE, "submitted": {"nis2.notificaton": "2027-03-03T10:00:00Z"}})
    assert "nis2.notification" in refused.value.errors["submitted.nis2.notificaton"]


def test_a_per_location_obligation_is_submitted_with_its_country():
    facts = parse_facts({**BASE, "submitted": {"eu_ai_act_73.initial@DE": "2027-03-03T10:00:00Z"}})
    assert "eu_ai_act_73.initial@DE" in facts.submitted
    with pytest.raises(FactsError) as refused:
        parse_facts({**BASE, "submitted": {"eu_ai_act_73.initial": "2027-03-03T10:00:00Z"}})
    assert "counted per country" in refused.value.errors["submitted.eu_ai_act_73.initial"]


@pytest.mark.parametrize(("extra", "key", "words"), BAD_FACTS, ids=[row[1] + ":" + row[2][:20] for row in BAD_FACTS])
def test_the_command_refuses_each_bad_fact_naming_the_key(tmp_path, extra, key, words):
    path = tmp_path / "facts.json"
    path.write_text(json.dumps({**BASE, **extra}), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("regulatory_clock", "--facts", str(path), stdout=io.StringIO())
    assert f"  {key}: " in str(refused.value) and words in str(refused.value)


def test_the_command_exits_1_with_the_keys_named_and_no_traceback(tmp_path):
    path = tmp_path / "facts.json"
    path.write_text(json.dumps({**BASE, "locations": ["UK"], "classified_major_at": "2027-03-01T10:00:00Z",
                                "submitted": {"nis2.notificaton": "2027-03-03T10:00:00Z"}}), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "regulatory_clock", "--facts", str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "portal.settings_test"})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stdout == ""
    for key in ("locations", "classified_major_at", "submitted.nis2.notificaton"):
        assert f"  {key}: " in done.stderr


# --- the API and the admin -------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"classified_major_at": (AWARE - timedelta(hours=1)).isoformat()}, "classified_major_at"),
        ({"extortion_payment_at": (AWARE - timedelta(minutes=1)).isoformat()}, "extortion_payment_at"),
        ({"determined_at": "9999-12-31T23:59:59Z"}, "determined_at"),
        ({"entity_time_zone": "+01:00"}, "entity_time_zone"),
        ({"entity_time_zone": "Europe/" + "x" * 60}, "entity_time_zone"),
        ({"incident_time_zone": "../../../etc/passwd"}, "incident_time_zone"),
        ({"entity_country": "UK"}, "entity_country"),
    ],
)
def test_the_api_answers_400_naming_the_bad_fact_and_records_nothing(client_as, compliance, sent, field):
    breach = breach_incident(compliance)
    response = put(client_as(COMPLIANCE), incident_url(breach, "regulatory-facts/"), sent)
    assert response.status_code == 400, response.content
    assert field in errors(response)
    assert not RegulatoryFacts.objects.filter(incident=breach).exists()


@pytest.mark.django_db
def test_the_admin_shows_a_classification_before_awareness_as_a_form_error_and_records_nothing(client_as, compliance):
    breach = breach_incident(compliance)
    client = client_as(roles.COMPLIANCE_OFFICER)
    add = reverse("admin:reporting_regulatoryfacts_add")
    data = form_data(client.get(add + f"?incident={breach.pk}"))
    before = AWARE - timedelta(hours=2)
    data.update({"incident": breach.pk, "dora_financial_entity": "on",
                 "classified_major_at_0": before.strftime("%Y-%m-%d"),
                 "classified_major_at_1": before.strftime("%H:%M:%S")})
    response = client.post(add, data)
    assert response.status_code == 200
    text = page_text(response)
    assert ("before aware_at" in text and "classified_major_at" in text.replace(" ", "_")) or "before aware_at" in text
    assert not RegulatoryFacts.objects.filter(incident=breach).exists()


@pytest.mark.django_db
def test_the_admin_refuses_an_offset_as_a_time_zone_on_the_field(client_as, compliance):
    breach = breach_incident(compliance)
    client = client_as(roles.COMPLIANCE_OFFICER)
    add = reverse("admin:reporting_regulatoryfacts_add")
    data = form_data(client.get(add + f"?incident={breach.pk}"))
    data.update({"incident": breach.pk, "entity_time_zone": "+01:00", "entity_country": "EL"})
    response = client.post(add, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "offset alone" in " ".join(form.errors["entity_time_zone"])
    assert "use GR" in " ".join(form.errors["entity_country"])
    assert not RegulatoryFacts.objects.filter(incident=breach).exists()


@pytest.mark.django_db
def test_the_admin_refuses_a_date_outside_the_supported_range_naming_the_range(client_as, compliance):
    breach = breach_incident(compliance)
    client = client_as(roles.COMPLIANCE_OFFICER)
    add = reverse("admin:reporting_regulatoryfacts_add")
    data = form_data(client.get(add + f"?incident={breach.pk}"))
    data.update({"incident": breach.pk, "nydfs_covered_entity": "on", "determined_at_0": "9999-12-31",
                 "determined_at_1": "23:59:59"})
    response = client.post(add, data)
    assert response.status_code == 200
    assert "1970" in " ".join(response.context["adminform"].form.errors["determined_at"])
    assert not RegulatoryFacts.objects.filter(incident=breach).exists()
