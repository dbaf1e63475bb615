"""Disclosure decisions: decided by a compliance officer, approved by a legal reviewer who is someone else,
whatever the entry point; an approved decision is final; the privileged analysis stays apart."""

import pytest
from django.core.exceptions import ValidationError

from portal.core import roles
from portal.tests.factories import make_user
from reporting import services
from reporting.models import DisclosureDecision
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db
Status = DisclosureDecision.Status


def _decide(actor, incident, **fields):
    values = {"audience": "regulator", "decision": "do_not_disclose",
              "rationale": "The leaked records were encrypted with keys that were not exposed.",
              "legal_basis": "GDPR Art. 33(1): unlikely to result in a risk", "privileged_analysis": "Counsel: ...",
              **fields}
    return services.disclosure_record(actor=actor, incident=incident, **values)


@pytest.fixture
def legal(role_users):
    return role_users[roles.LEGAL_REVIEWER]


def test_a_compliance_decision_is_approved_by_a_legal_reviewer_with_history(compliance, legal):
    decision = _decide(compliance, breach_incident(compliance))
    assert decision.status == Status.PROPOSED
    services.disclosure_approve(actor=legal, decision=decision, note="Agreed.", expected_version=decision.version)
    decision.refresh_from_db()
    assert (decision.status, decision.approved_by, decision.decided_by) == (Status.APPROVED, legal, compliance)
    assert [h.history_user for h in decision.history.order_by("history_id")] == [compliance, legal]


def test_the_person_who_decided_cannot_approve_even_holding_both_roles(compliance):
    both = make_user("both", roles.COMPLIANCE_OFFICER)
    both.groups.add(*both.groups.model.objects.filter(name=roles.LEGAL_REVIEWER))
    decision = _decide(both, breach_incident(compliance))
    with pytest.raises(ValidationError, match="second person"):
        services.disclosure_approve(actor=both, decision=decision, expected_version=decision.version)


def test_a_superuser_is_bound_by_the_two_person_rule_too(role_users):
    admin = role_users["admin"]
    decision = _decide(admin, breach_incident(admin))
    with pytest.raises(ValidationError, match="second person"):
        services.disclosure_approve(actor=admin, decision=decision, expected_version=decision.version)


def test_only_legal_approves_and_only_compliance_decides(compliance, role_users):
    responder, leadership = role_users[roles.INCIDENT_RESPONDER], role_users[roles.LEADERSHIP]
    incident = breach_incident(compliance)
    with pytest.raises(ValidationError, match="compliance officer"):
        _decide(responder, incident)
    decision = _decide(compliance, incident)
    with pytest.raises(ValidationError, match="legal reviewer"):
        services.disclosure_approve(actor=leadership, decision=decision, expected_version=decision.version)


def test_an_approved_decision_is_final(compliance, legal):
    decision = _decide(compliance, breach_incident(compliance))
    services.disclosure_approve(actor=legal, decision=decision, expected_version=decision.version)
    with pytest.raises(ValidationError, match="final"):
        services.disclosure_update(actor=compliance, decision=decision, rationale="Changed our mind.")
    with pytest.raises(ValidationError, match="awaiting approval"):
        services.disclosure_approve(actor=legal, decision=decision, expected_version=decision.version)


def test_a_returned_decision_goes_back_to_awaiting_approval_when_changed(compliance, legal):
    decision = _decide(compliance, breach_incident(compliance))
    with pytest.raises(ValidationError):
        services.disclosure_return(actor=legal, decision=decision, note=" ", expected_version=decision.version)
    services.disclosure_return(actor=legal, decision=decision, note="Cite the encryption evidence.",
                               expected_version=decision.version)
    assert decision.status == Status.REJECTED
    services.disclosure_update(actor=compliance, decision=decision,
                               rationale="Encrypted (evidence E-12); keys not exposed.")
    assert decision.status == Status.PROPOSED


@pytest.mark.parametrize(("fields", "field"), [
    ({"rationale": " "}, "rationale"),
    ({"legal_basis": ""}, "legal_basis"),
    ({"decision": "defer"}, "revisit_by"),
    ({"audience": "public", "decision": "disclose", "shareable_summary": ""}, "shareable_summary"),
])
def test_incomplete_decisions_are_refused_naming_the_field(compliance, fields, field):
    with pytest.raises(ValidationError) as error:
        _decide(compliance, breach_incident(compliance), **fields)
    assert field in error.value.message_dict


def test_a_decision_not_to_notify_a_breach_serves_as_the_gdpr_33_5_record(compliance):
    decision = _decide(compliance, breach_incident(compliance))
    assert decision.is_gdpr_33_5_record
    other = _decide(compliance, breach_incident(compliance, personal_data_involved=False))
    assert not other.is_gdpr_33_5_record
