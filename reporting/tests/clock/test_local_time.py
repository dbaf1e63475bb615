"""Local time where the law means it (issue 12, item 2): the DORA relief on the entity's Member-State calendar at 12:00
local time, HIPAA's annual notice in the entity's local year, applies-from dates on the local date of discovery, and
the counting convention for days and months across a clock change (README, "Regulatory clock: local time")."""

from datetime import date

import pytest

from reporting.clock import FactsError, parse_facts
from reporting.tests.clock.helpers import run, utc

DORA = {"dora_financial_entity": True}
BERLIN = {"entity_time_zone": "Europe/Berlin", "entity_country": "DE"}


@pytest.mark.parametrize(
    ("entity", "classified", "due_at", "words"),
    [
        # Del. Reg. (EU) 2025/301 Art. 5(4): initial notification 4 h after classification. Thursday 6 May 2027 is
        # Ascension Day in Germany: moved to Friday 12:00 Berlin time (CEST, UTC+2) = 10:00 UTC, not 12:00 UTC.
        (BERLIN, "2027-05-06T08:00:00Z", utc(2027, 5, 7, 10, 0), "a bank holiday 2027-05-06 (Ascension Day"),
        # The same day is a working day in Ireland (Europe/Dublin, IST = UTC+1): no relief, 4 hours stand.
        ({"entity_time_zone": "Europe/Dublin", "entity_country": "IE"}, "2027-05-06T08:00:00Z",
         utc(2027, 5, 6, 12, 0), None),
        # Friday 23:30 UTC is Saturday 01:30 in Berlin: a weekend deadline there; Monday 17 May 2027 is Whit Monday,
        # so it moves to Tuesday 12:00 CEST.
        (BERLIN, "2027-05-14T19:30:00Z", utc(2027, 5, 18, 10, 0),
         "Saturday 2027-05-15 (the local date in Europe/Berlin)"),
        # ... while an entity on UTC has a Friday deadline: no relief.
        ({}, "2027-05-14T19:30:00Z", utc(2027, 5, 14, 23, 30), None),
        # 14 July is the French national day, an ordinary Wednesday in Germany.
        ({"entity_time_zone": "Europe/Paris", "entity_country": "FR"}, "2027-07-14T06:00:00Z",
         utc(2027, 7, 15, 10, 0), "a bank holiday 2027-07-14 (National Day"),
        (BERLIN, "2027-07-14T06:00:00Z", utc(2027, 7, 14, 10, 0), None),
        # In winter Berlin is UTC+1: noon local is 11:00 UTC. 25 December 2027 is a Saturday, 27 December a Monday.
        (BERLIN, "2027-12-24T20:00:00Z", utc(2027, 12, 27, 11, 0), "12:00 Europe/Berlin time (11:00 UTC)"),
    ],
)
def test_the_dora_relief_is_judged_on_the_entitys_calendar_and_ends_at_noon_local_time(entity, classified, due_at,
                                                                                        words):
    spec = run(**DORA, **entity, aware_at=classified, classified_major_at=classified)["dora.initial"]
    assert spec.due_at == due_at
    if words:
        assert words in spec.rule
    else:
        assert "falls on" not in spec.rule


def test_the_relief_counts_holidays_passed_in_besides_the_member_states():
    # 8 March 2027 is no German public holiday (Berlin's own International Women's Day is regional): passed in.
    spec = run(**DORA, **BERLIN, classified_major_at="2027-03-08T07:00:00Z", aware_at="2027-03-08T07:00:00Z",
               bank_holidays=frozenset({date(2027, 3, 8)}))["dora.initial"]
    assert spec.due_at == utc(2027, 3, 9, 11, 0)
    assert "a holiday passed in" in spec.rule


def test_without_the_entitys_member_state_the_moved_deadline_says_holidays_were_not_checked():
    spec = run(**DORA, entity_time_zone="Europe/Berlin", classified_major_at="2027-05-14T19:30:00Z",
               aware_at="2027-05-14T19:30:00Z")["dora.initial"]
    assert spec.due_at == utc(2027, 5, 17, 10, 0)
    assert "entity_country" in spec.note and spec.uncertain


@pytest.mark.parametrize(
    ("zone", "due_at"),
    [
        # 45 CFR 164.408(c): 60 days after the end of the calendar year of discovery. 31 December 2027 20:00 in Los
        # Angeles is 1 January 2028 in UTC: the local year is 2027, so the notice is due by 1 March 2028 (2028 is
        # a leap year) at midnight local time, 08:00 UTC.
        ("America/Los_Angeles", utc(2028, 3, 1, 8, 0)),
        # Read in UTC the year would be 2028 and the notice a year later.
        ("UTC", utc(2029, 3, 2, 0, 0)),
    ],
)
def test_hipaas_annual_notice_follows_the_entitys_local_calendar_year(zone, due_at):
    specs = run(aware_at="2028-01-01T04:00:00Z", entity_time_zone=zone, phi_breach=True, individuals_affected=12,
                locations=["US-CA"])
    assert specs["hipaa.hhs_annual"].due_at == due_at


HIGH_RISK_PROVIDER = {"operator_role": "provider", "risk_class": "high_risk_annex_iii", "locations": ["DE"],
                      "harms": ["serious_health_harm"]}


@pytest.mark.parametrize(
    ("zone", "owed"),
    [
        # EU AI Act Art. 113: Art. 73 applies from 2 August 2026. 1 August 23:00 UTC is 01:00 on 2 August in Berlin.
        ("Europe/Berlin", True),
        ("UTC", False),
        # New York is still on 1 August (19:00).
        ("America/New_York", False),
    ],
)
def test_an_applies_from_date_is_read_on_the_local_date_the_incident_was_discovered(zone, owed):
    specs = run(**HIGH_RISK_PROVIDER, aware_at="2026-08-01T23:00:00Z", incident_time_zone=zone)
    assert ("eu_ai_act_73.initial@DE" in specs) is owed


def test_the_incident_time_zone_defaults_to_the_entitys():
    specs = run(**HIGH_RISK_PROVIDER, aware_at="2026-08-01T23:00:00Z", entity_time_zone="Europe/Berlin")
    assert "eu_ai_act_73.initial@DE" in specs


def test_days_are_24_hour_periods_of_elapsed_time_across_a_clock_change():
    # Art. 73(2): 15 days. 20 March 2027 10:00 CET; Europe moves to summer time on 28 March. 360 hours later is
    # 4 April 11:00 CEST: the same instant whatever the entity's time zone (README, "Regulatory clock: local time").
    due = {zone: run(**HIGH_RISK_PROVIDER, aware_at="2027-03-20T09:00:00Z", entity_time_zone=zone)[
        "eu_ai_act_73.initial@DE"].due_at for zone in ("UTC", "Europe/Berlin")}
    assert due == {"UTC": utc(2027, 4, 4, 9, 0), "Europe/Berlin": utc(2027, 4, 4, 9, 0)}


@pytest.mark.parametrize(
    ("zone", "due_at"),
    [
        # Del. Reg. 2025/301 Art. 5(1)(c): the final report 1 month after the intermediate report. Submitted on
        # 15 March 2027 at 12:00 CET (11:00 UTC): due 15 April at 12:00 CEST, which is 10:00 UTC.
        ("Europe/Berlin", utc(2027, 4, 15, 10, 0)),
        ("UTC", utc(2027, 4, 15, 11, 0)),
    ],
)
def test_months_are_calendar_months_at_the_same_local_time_on_the_entitys_calendar(zone, due_at):
    spec = run(**DORA, entity_time_zone=zone, aware_at="2027-03-10T08:00:00Z",
               classified_major_at="2027-03-10T09:00:00Z",
               submitted={"dora.initial": "2027-03-10T10:00:00Z", "dora.intermediate": "2027-03-15T11:00:00Z"})[
        "dora.final"]
    assert spec.due_at == due_at


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("entity_time_zone", "+01:00", "an offset alone is not enough across a clock change"),
        ("entity_time_zone", "CET+1", "not an IANA time zone name"),
        ("incident_time_zone", "Europe/Berlim", "not an IANA time zone name"),
        ("entity_time_zone", 1, "must be an IANA time zone name"),
        # Never opened as a path: a name too long for the file system, a NUL, a path out of the zone database.
        ("entity_time_zone", "a" * 300, "is not an IANA time zone name"),
        ("incident_time_zone", "Europe/Berlin\x00", "is not an IANA time zone name"),
        ("incident_time_zone", "../../etc/passwd", "is not an IANA time zone name"),
        ("entity_time_zone", "Europe", "is not an IANA time zone name"),
        ("entity_country", "UK", "use GB"),
        ("entity_country", "DEU", "not an ISO 3166-1 alpha-2 country code"),
    ],
)
def test_a_time_zone_must_be_an_iana_name_and_a_country_an_iso_code(key, value, words):
    with pytest.raises(FactsError) as refused:
        parse_facts({"aware_at": "2027-03-02T10:00:00Z", key: value})
    assert words in refused.value.errors[key]
