"""The breach's own facts (GDPR Art. 33(3)(a)): proposed from the inventory, confirmed by a compliance officer
(who and when, with history and a timeline event), and what the GDPR and UK GDPR notifications make of them."""

import pytest
from django.core.exceptions import ValidationError

from incidents.models import TimelineEvent
from inventory.tests.factories import AISystemFactory
from portal.core import roles
from reporting import selectors, services
from reporting.models import RegulatoryFacts
from reporting.services.documents import NOT_ESTABLISHED, notification_context
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def breach(compliance):
    """A breach through a support assistant whose inventory record says it processes identity, financial and
    communications data."""
    system = AISystemFactory(personal_data_categories=["communications", "identity", "financial"])
    return breach_incident(compliance, systems=[system], jurisdictions=("IE",))


def _content(obligation) -> dict:
    return {item["label"]: item for item in notification_context(obligation)["content"]}


def _gdpr(incident):
    return incident.obligations.get(key="gdpr.notification")


def test_the_proposal_comes_from_the_affected_systems_inventory_categories(breach):
    breach.systems.add(AISystemFactory(personal_data_categories=["health", "identity"]))
    assert selectors.breach_categories_proposed(breach) == ["identity", "financial", "communications", "health"]


def test_unconfirmed_breach_facts_are_stated_as_not_yet_established_never_as_the_inventory_says(breach):
    content = _content(_gdpr(breach))
    categories = content["Categories of personal data concerned"]
    assert categories["value"] is None and categories["missing"] and categories["pending"] == NOT_ESTABLISHED
    records = content["Categories and approximate number of personal-data records concerned"]
    assert records["pending"] == NOT_ESTABLISHED
    subjects = content["Categories and approximate number of data subjects concerned"]["value"]
    assert subjects == [f"Categories: {NOT_ESTABLISHED}", "Approximate number: 1,200"]  # the incident's own count
    assert "Identity and contact data" not in str(notification_context(_gdpr(breach)))


def test_confirming_records_who_and_when_with_history_and_a_timeline_event(breach, compliance):
    facts = services.regulatory_facts_update(
        actor=compliance, incident=breach, personal_data_categories=["communications"],
        data_subject_categories=["customers", "children"], records_concerned=3000)

    assert facts.breach_facts_confirmed_by == compliance and facts.breach_facts_confirmed_at is not None
    latest = RegulatoryFacts.history.filter(id=facts.pk).latest("history_id")
    assert latest.history_user == compliance and latest.personal_data_categories == ["communications"]
    assert latest.breach_facts_confirmed_by_id == compliance.pk
    event = breach.timeline.filter(kind=TimelineEvent.Kind.OBLIGATION).latest("pk")
    assert event.payload["breach_facts_confirmed"] is True and "breach facts confirmed by" in event.summary
    assert event.actor == compliance


def test_the_notification_shows_the_confirmed_incident_facts_not_the_inventory_categories(breach, compliance):
    services.regulatory_facts_update(
        actor=compliance, incident=breach, personal_data_categories=["communications"],
        data_subject_categories=["customers"], records_concerned=3000)
    context = notification_context(_gdpr(breach))
    content = {item["label"]: item["value"] for item in context["content"]}

    assert content["Categories of personal data concerned"] == ["Communications content"]
    assert content["Categories and approximate number of data subjects concerned"] == [
        "Categories: Customers", "Approximate number: 1,200"]
    assert content["Categories and approximate number of personal-data records concerned"] == [
        "Approximate number: 3,000", "Categories: Communications content"]
    assert "Identity and contact data" not in str(context) and "Financial data" not in str(context)
    assert context["breach_facts"]["confirmed"] and context["breach_facts"]["confirmed_by"] == compliance.username


def test_the_uk_gdpr_notification_takes_the_same_confirmed_facts(compliance):
    system = AISystemFactory(personal_data_categories=["financial"])
    incident = breach_incident(compliance, systems=[system], jurisdictions=("GB",))
    uk = incident.obligations.get(key="uk_gdpr.notification")
    assert _content(uk)["Categories of personal data concerned"]["pending"] == NOT_ESTABLISHED

    services.regulatory_facts_update(actor=compliance, incident=incident, personal_data_categories=["health"])
    content = _content(uk)
    assert content["Categories of personal data concerned"]["value"] == ["Health data (GDPR Art. 9)"]
    assert content["Categories and approximate number of personal-data records concerned"]["pending"] == (
        NOT_ESTABLISHED)  # the count was not given


def test_clearing_every_breach_fact_clears_the_confirmation(breach, compliance):
    facts = services.regulatory_facts_update(actor=compliance, incident=breach, personal_data_categories=["identity"])
    facts = services.regulatory_facts_update(actor=compliance, incident=breach, expected_version=facts.version,
                                             personal_data_categories=[])
    assert facts.personal_data_categories is None and not facts.breach_facts_confirmed
    assert _content(_gdpr(breach))["Categories of personal data concerned"]["pending"] == NOT_ESTABLISHED


def test_changing_another_fact_leaves_the_confirmation_as_it_was(breach, compliance):
    facts = services.regulatory_facts_update(actor=compliance, incident=breach, personal_data_categories=["identity"])
    confirmed_at = facts.breach_facts_confirmed_at
    facts = services.regulatory_facts_update(actor=compliance, incident=breach, expected_version=facts.version,
                                             risk_to_individuals="high")
    assert facts.breach_facts_confirmed_at == confirmed_at


@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"personal_data_categories": ["identity", "gossip"]}, "personal_data_categories",
     "Unknown personal-data categories: gossip"),
    ({"personal_data_categories": "identity"}, "personal_data_categories", "must be a list"),
    ({"data_subject_categories": ["aliens"]}, "data_subject_categories", "Unknown data-subject categories: aliens"),
    ({"records_concerned": -5}, "records_concerned", "greater than or equal to 0"),
])
def test_bad_breach_facts_are_refused_naming_the_field_and_nothing_is_written(breach, compliance, changes, field,
                                                                             says):
    events = breach.timeline.count()
    with pytest.raises(ValidationError) as raised:
        services.regulatory_facts_update(actor=compliance, incident=breach, **changes)
    assert set(raised.value.message_dict) == {field}
    assert says in " ".join(raised.value.message_dict[field])
    assert not RegulatoryFacts.objects.filter(incident=breach).exists() and breach.timeline.count() == events


def test_only_a_compliance_officer_confirms_breach_facts(breach, role_users):
    with pytest.raises(ValidationError, match="Only a compliance officer"):
        services.regulatory_facts_update(actor=role_users[roles.INCIDENT_RESPONDER], incident=breach,
                                         personal_data_categories=["identity"])


def test_an_obligation_computed_before_the_breach_facts_existed_does_not_copy_the_inventory(breach):
    obligation = _gdpr(breach)
    obligation.content_items = [  # as stored by the earlier regime data, until the clock recomputes it
        {"key": "data_categories", "label": "Categories of personal data concerned", "provision": "Art. 33(3)(a)",
         "source": "incident.personal_data_categories"}]
    (item,) = notification_context(obligation)["content"]
    assert item["value"] is None and item["pending"] == NOT_ESTABLISHED
