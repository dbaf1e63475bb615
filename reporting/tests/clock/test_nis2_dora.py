"""NIS2 Art. 23 and DORA major-incident reporting: chained stages, the earliest-of rule, the weekend relief."""

from datetime import date, timedelta

import pytest

from reporting.tests.clock.helpers import AWARE_AT, keys_of, run, utc

NIS2 = {"nis2_entity": True, "significant_incident": True, "locations": ["NL"]}
DORA = {"dora_financial_entity": True}


def test_nis2_early_warning_and_notification_run_from_awareness():
    specs = run(**NIS2)
    assert specs["nis2.early_warning"].due_at == AWARE_AT + timedelta(hours=24)
    assert specs["nis2.notification"].due_at == AWARE_AT + timedelta(hours=72)
    assert specs["nis2.early_warning"].provision == "Dir. (EU) 2022/2555 Art. 23(4)(a)"


def test_nis2_final_report_waits_until_the_notification_is_submitted():
    spec = run(**NIS2)["nis2.final"]
    assert spec.clock_starts_at is None
    assert spec.due_at is None
    assert spec.depends_on == "nis2.notification"
    assert spec.clock_start_event == "submitted:nis2.notification"
    assert spec.rule.startswith('waiting for nis2.notification ("Incident notification") to be submitted')


@pytest.mark.parametrize(
    ("submitted", "due_at"),
    [
        ("2027-03-05T10:00:00Z", utc(2027, 4, 5, 10, 0)),
        ("2027-01-31T10:00:00Z", utc(2027, 2, 28, 10, 0)),  # clamped, non-leap year
        ("2028-01-31T10:00:00Z", utc(2028, 2, 29, 10, 0)),  # clamped, leap year
        ("2027-03-31T22:30:00-02:00", utc(2027, 5, 1, 0, 30)),  # counted in UTC: 1 April 00:30 + 1 month
    ],
)
def test_nis2_final_report_is_due_one_month_after_the_notification_is_submitted(submitted, due_at):
    spec = run(**NIS2, aware_at="2027-01-29T10:00:00Z", submitted={"nis2.notification": submitted})["nis2.final"]
    assert spec.due_at == due_at
    assert spec.unit == "months"
    assert "end-of-month clamped" in spec.rule


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"nis2_entity": False}, "not an essential or important entity"),
        ({"significant_incident": False}, "not significant"),
        ({"locations": ["GB", "US"]}, "no EU location"),
        ({"aware_at": "2024-10-17T12:00:00Z"}, "before NIS2 applied"),
    ],
)
def test_nis2_does_not_apply(changes, why):
    assert not keys_of("nis2", run(**{**NIS2, **changes})), why


@pytest.mark.parametrize(
    ("classified_at", "due_at", "governs"),
    [
        ("2027-03-02T12:00:00Z", utc(2027, 3, 2, 16, 0), "4 hours from classification as major ends first"),
        ("2027-03-03T08:00:00Z", utc(2027, 3, 3, 10, 0), "the limit of 24 hours after awareness ends first"),
        ("2027-03-03T10:00:00Z", utc(2027, 3, 3, 10, 0), "the limit of 24 hours after awareness ends first"),
        ("2027-03-04T09:00:00Z", utc(2027, 3, 4, 13, 0), "clock started after the limit"),
    ],
    ids=["classification-limit-first", "awareness-limit-first", "classified-at-24h", "classified-after-24h"],
)
def test_dora_initial_notification_is_the_earlier_of_4h_from_classification_and_24h_from_awareness(
    classified_at, due_at, governs
):
    spec = run(**DORA, classified_major_at=classified_at)["dora.initial"]
    assert spec.due_at == due_at
    assert governs in spec.rule
    assert spec.clock_start_event == "classified_major_at"


def test_dora_intermediate_and_final_reports_are_chained_on_submissions():
    specs = run(**DORA, classified_major_at="2027-03-02T12:00:00Z",
                submitted={"dora.initial": "2027-03-02T15:00:00Z", "dora.intermediate": "2027-03-09T09:00:00Z"})
    assert specs["dora.intermediate"].due_at == utc(2027, 3, 5, 15, 0)
    assert specs["dora.intermediate"].depends_on == "dora.initial"
    assert specs["dora.final"].due_at == utc(2027, 4, 9, 9, 0)
    assert specs["dora.final"].clock_start_event == "submitted:dora.intermediate"


def test_dora_later_stages_wait_for_the_earlier_submission():
    specs = run(**DORA, classified_major_at="2027-03-02T12:00:00Z")
    assert specs["dora.intermediate"].due_at is None
    assert "waiting for dora.initial" in specs["dora.intermediate"].rule
    assert specs["dora.final"].due_at is None
    assert "waiting for dora.intermediate" in specs["dora.final"].rule


SATURDAY_DEADLINE = {"aware_at": "2027-03-05T20:00:00Z", "classified_major_at": "2027-03-06T01:00:00Z"}


def test_a_dora_deadline_on_a_saturday_moves_to_noon_on_monday_in_the_entitys_time_zone_utc_by_default():
    spec = run(**DORA, **SATURDAY_DEADLINE)["dora.initial"]
    assert spec.due_at == utc(2027, 3, 8, 12, 0)
    assert "falls on Saturday 2027-03-06" in spec.rule
    assert "12:00 UTC on 2027-03-08" in spec.rule
    assert spec.uncertain, "an authority may exclude further entities (Art. 5(6))"
    assert "entity_country" in spec.note, "no Member State given: its bank holidays were not checked"


@pytest.mark.parametrize(
    "excluded",
    [
        {"dora_entity_type": "credit_institution"},
        {"dora_entity_type": "central_counterparty"},
        {"dora_entity_type": "trading_venue"},
        {"nis2_entity": True},
    ],
)
def test_no_weekend_relief_for_initial_and_intermediate_reports_of_excluded_entities(excluded):
    specs = run(**DORA, **SATURDAY_DEADLINE, **excluded,
                submitted={"dora.initial": "2027-03-10T09:00:00Z"})  # intermediate due Saturday 13 March
    assert specs["dora.initial"].due_at == utc(2027, 3, 6, 5, 0)
    assert "does not apply" in specs["dora.initial"].rule
    assert specs["dora.intermediate"].due_at == utc(2027, 3, 13, 9, 0)


@pytest.mark.parametrize("entity_type", ["credit_institution", "other"])
def test_the_final_report_gets_the_weekend_relief_for_every_entity(entity_type):
    spec = run(**DORA, classified_major_at="2027-01-04T12:00:00Z", aware_at="2027-01-04T10:00:00Z",
               dora_entity_type=entity_type, submitted={"dora.initial": "2027-01-04T15:00:00Z",
                                                        "dora.intermediate": "2027-01-31T09:00:00Z"})["dora.final"]
    assert spec.due_at == utc(2027, 3, 1, 12, 0)  # 28 February 2027 is a Sunday


@pytest.mark.parametrize(
    ("holidays", "due_at"),
    [
        (frozenset(), utc(2027, 3, 8, 9, 0)),
        (frozenset({date(2027, 3, 8)}), utc(2027, 3, 9, 12, 0)),  # bank-holiday Monday -> Tuesday noon
        (frozenset({date(2027, 3, 8), date(2027, 3, 9)}), utc(2027, 3, 10, 12, 0)),
    ],
)
def test_a_bank_holiday_passed_in_counts_for_the_relief(holidays, due_at):
    spec = run(**DORA, classified_major_at="2027-03-04T12:00:00Z", aware_at="2027-03-04T10:00:00Z",
               submitted={"dora.initial": "2027-03-05T09:00:00Z"}, bank_holidays=holidays)["dora.intermediate"]
    assert spec.due_at == due_at
    if holidays:
        assert "a bank holiday 2027-03-08" in spec.rule


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"dora_financial_entity": False}, "not a financial entity"),
        ({"classified_major_at": None}, "not classified as major"),
        ({"aware_at": "2025-01-16T10:00:00Z", "classified_major_at": "2025-01-16T12:00:00Z"}, "before DORA applied"),
    ],
)
def test_dora_does_not_apply(changes, why):
    facts = {**DORA, "classified_major_at": "2027-03-02T12:00:00Z", **changes}
    assert not keys_of("dora", run(**facts)), why
