"""Recovery validation: valid outcomes, sign-off by an engineering and a compliance lead who are two different
people, sign-offs cleared by a changed outcome, and the `recovering -> review` guard."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.models import TimelineEvent
from incidents.tests.factories import advance, open_incident, passed_validation, signed_validation
from portal.core.concurrency import StaleRecordError
from portal.core.display import moment_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def responder(role_users):
    return role_users["incident responder"]


@pytest.fixture
def compliance(role_users):
    return role_users["compliance officer"]


@pytest.fixture
def incident(responder):
    return advance(open_incident(responder), responder, "recovering")


def _recovery_events(incident):
    return list(TimelineEvent.objects.filter(incident=incident, kind=TimelineEvent.Kind.RECOVERY).order_by("id"))


def test_recording_a_validation_leaves_history_and_a_timeline_event(incident, responder):
    validation = services.recovery_validation_record(actor=responder, incident=incident, functional="passed",
                                                     bias="failed", notes="Bias suite: 3 of 40 prompts regress.")
    assert (validation.functional, validation.stress, validation.bias) == ("passed", "pending", "failed")
    assert validation.history.get().history_user == responder
    (event,) = _recovery_events(incident)
    assert event.actor == responder and "bias failed" in event.summary


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"functional": "ok"}, "functional", "'ok' is not an outcome; one of pending, passed, failed, not_applicable"),
    ({"security": ""}, "security", "is not an outcome"),
])
def test_invalid_outcomes_are_refused_naming_the_field(incident, responder, kwargs, field, words):
    with pytest.raises(ValidationError) as excinfo:
        services.recovery_validation_record(actor=responder, incident=incident, **kwargs)
    assert words in excinfo.value.message_dict[field][0]
    assert not incident.recovery_validations.exists()


def test_updating_an_unknown_test_is_refused(incident, responder):
    validation = passed_validation(incident, responder)
    with pytest.raises(ValidationError) as excinfo:
        services.recovery_validation_update(actor=responder, validation=validation, latency="passed")
    assert "Unknown test 'latency'" in excinfo.value.message_dict["latency"][0]


def test_two_different_people_sign_off_as_engineering_and_compliance(incident, responder, compliance):
    validation = passed_validation(incident, responder, security="not_applicable")
    services.recovery_signoff(actor=responder, validation=validation, as_role="engineering",
                              expected_version=validation.version)
    assert not validation.is_signed and validation.engineering_signoff_by == responder
    signed = services.recovery_signoff(actor=compliance, validation=validation, as_role="compliance",
                                       expected_version=validation.version)
    assert signed.is_signed and signed.compliance_signoff_at is not None
    assert [h.history_user for h in signed.history.order_by("history_id")] == [responder, responder, compliance]
    last = _recovery_events(incident)[-1]
    assert last.actor == compliance and last.payload["signed"] is True and "both sign-offs" in last.summary


@pytest.mark.parametrize(("who", "as_role", "needed"), [
    ("legal reviewer", "engineering", "incident responder"),
    ("compliance officer", "engineering", "incident responder"),
    ("incident responder", "compliance", "compliance officer"),
    ("leadership", "compliance", "compliance officer"),
])
def test_each_sign_off_needs_its_role(incident, role_users, who, as_role, needed):
    validation = passed_validation(incident, role_users["incident responder"])
    with pytest.raises(ValidationError) as excinfo:
        services.recovery_signoff(actor=role_users[who], validation=validation, as_role=as_role,
                                  expected_version=validation.version)
    assert f"needs the {needed} role" in excinfo.value.message_dict["as_role"][0]


def test_an_unknown_sign_off_role_is_refused(incident, responder):
    validation = passed_validation(incident, responder)
    with pytest.raises(ValidationError) as excinfo:
        services.recovery_signoff(actor=responder, validation=validation, as_role="legal",
                                  expected_version=validation.version)
    assert "one of engineering, compliance" in excinfo.value.message_dict["as_role"][0]


@pytest.mark.parametrize("first", ["engineering", "compliance"])
def test_one_person_cannot_give_both_sign_offs_even_as_superuser(incident, role_users, first):
    admin = role_users["admin"]
    validation = passed_validation(incident, admin)
    services.recovery_signoff(actor=admin, validation=validation, as_role=first,
                              expected_version=validation.version)
    second = "compliance" if first == "engineering" else "engineering"
    with pytest.raises(ValidationError) as excinfo:
        services.recovery_signoff(actor=admin, validation=validation, as_role=second,
                                  expected_version=validation.version)
    assert "Two-person rule" in excinfo.value.message_dict["as_role"][0]
    validation.refresh_from_db()
    assert not validation.is_signed and getattr(validation, f"{second}_signoff_by") is None


def test_a_role_signed_once_cannot_be_signed_again(incident, responder, role_users):
    validation = passed_validation(incident, responder)
    services.recovery_signoff(actor=responder, validation=validation, as_role="engineering",
                              expected_version=validation.version)
    with pytest.raises(ValidationError) as excinfo:
        services.recovery_signoff(actor=role_users["admin"], validation=validation, as_role="engineering",
                                  expected_version=validation.version)
    assert "responder already signed off as engineering lead" in excinfo.value.message_dict["as_role"][0]


def test_sign_off_needs_every_test_passed_or_not_applicable(incident, responder):
    validation = passed_validation(incident, responder, stress="pending", bias="failed")
    with pytest.raises(ValidationError) as excinfo:
        services.recovery_signoff(actor=responder, validation=validation, as_role="engineering",
                                  expected_version=validation.version)
    assert "still open: stress (pending), bias (failed)" in excinfo.value.message_dict["as_role"][0]
    validation.refresh_from_db()
    assert validation.engineering_signoff_by is None


def test_changing_an_outcome_after_sign_off_clears_the_sign_offs_and_says_so(incident, responder, compliance):
    validation = signed_validation(incident, engineering=responder, compliance=compliance)
    updated = services.recovery_validation_update(actor=compliance, validation=validation, bias="failed")
    assert updated.bias == "failed" and not updated.is_signed
    assert (updated.engineering_signoff_by, updated.compliance_signoff_by) == (None, None)
    assert validation.engineering_signoff_by is None  # the caller's object too
    latest = updated.history.first()
    assert latest.history_user == compliance and latest.engineering_signoff_by_id is None
    event = _recovery_events(incident)[-1]
    assert event.flagged and "sign-offs cleared" in event.summary
    assert event.payload["signoffs_cleared"] == {"engineering": "responder", "compliance": "compliance"}
    assert event.payload["changed"] == {"bias": ["passed", "failed"]}


def test_changing_only_the_notes_keeps_the_sign_offs(incident, responder, compliance):
    validation = signed_validation(incident, engineering=responder, compliance=compliance)
    updated = services.recovery_validation_update(actor=responder, validation=validation, notes="Report attached.")
    assert updated.is_signed and updated.notes == "Report attached."
    count = updated.history.count()
    services.recovery_validation_update(actor=responder, validation=validation, bias="passed")  # no change
    assert updated.history.count() == count


def test_review_is_refused_until_a_validation_is_signed_and_then_allowed(incident, responder, compliance):
    validation = passed_validation(incident, responder)
    services.recovery_signoff(actor=responder, validation=validation, as_role="engineering",
                              expected_version=validation.version)
    with pytest.raises(ValidationError) as excinfo:
        services.incident_transition(actor=responder, incident=incident, to="review")
    assert "two different people" in excinfo.value.message_dict["status"][0]
    services.recovery_signoff(actor=compliance, validation=validation, as_role="compliance",
                              expected_version=validation.version)
    moved = services.incident_transition(actor=responder, incident=incident, to="review")
    assert moved.status == "review" and moved.recovered_at is not None


def test_a_cleared_validation_no_longer_opens_the_review(incident, responder, compliance):
    validation = signed_validation(incident, engineering=responder, compliance=compliance)
    services.recovery_validation_update(actor=responder, validation=validation, stress="failed")
    with pytest.raises(ValidationError):
        services.incident_transition(actor=responder, incident=incident, to="review")


def test_a_dismissed_incident_takes_no_validation(responder):
    incident = open_incident(responder)
    services.incident_transition(actor=responder, incident=incident, to="dismissed", note="Duplicate alert.")
    with pytest.raises(ValidationError) as excinfo:
        passed_validation(incident, responder)
    assert "is dismissed" in excinfo.value.message_dict["incident"][0]


def test_every_change_of_a_validation_bumps_its_version(incident, responder, compliance):
    validation = passed_validation(incident, responder)
    assert validation.version == 1
    services.recovery_validation_update(actor=responder, validation=validation, notes="Suite re-run.")
    assert validation.version == 2
    services.recovery_signoff(actor=responder, validation=validation, as_role="engineering", expected_version=2)
    assert validation.version == 3
    services.recovery_validation_update(actor=compliance, validation=validation, bias="failed")
    assert validation.version == 4
    assert [h.version for h in validation.history.order_by("history_id")] == [1, 2, 3, 4]


def test_a_sign_off_without_the_version_seen_is_refused_naming_the_field(incident, responder):
    validation = passed_validation(incident, responder)
    with pytest.raises(ValidationError) as excinfo:
        services.recovery_signoff(actor=responder, validation=validation, as_role="engineering")
    assert "version" in excinfo.value.message_dict
    validation.refresh_from_db()
    assert validation.engineering_signoff_by is None


def test_a_stale_sign_off_is_refused_naming_who_changed_what_and_nothing_is_written(incident, responder,
                                                                                  compliance):
    validation = passed_validation(incident, responder)
    seen = validation.version
    services.recovery_validation_update(actor=compliance, validation=validation, notes="Stress run on 10% only.")
    changed_at = validation.history.first().history_date
    rows, events = validation.history.count(), len(_recovery_events(incident))

    with pytest.raises(StaleRecordError) as excinfo:
        services.recovery_signoff(actor=responder, validation=validation, as_role="engineering",
                                  expected_version=seen)

    message = str(excinfo.value.messages[0])
    assert f"was changed by compliance at {moment_text(changed_at, seconds=True)} (notes)" in message
    assert "now version 2; your copy is version 1" in message
    validation.refresh_from_db()
    assert validation.engineering_signoff_by is None
    assert (validation.history.count(), len(_recovery_events(incident))) == (rows, events)
