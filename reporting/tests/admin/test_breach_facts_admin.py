"""The breach facts in the admin: the inventory's proposal pre-filled on a new row and named on an existing one,
saving confirms (who and when), a bad count is a form error naming the field; issuing notifications while the
organisation is the placeholder: refused in production, warned in development."""

import pytest
from django.urls import reverse

from incidents.tests.admin.helpers import form_data, messages_of, page_text
from inventory.tests.factories import AISystemFactory
from portal.core import roles
from reporting import services
from reporting.models import Document, RegulatoryFacts
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db
ADD = reverse("admin:reporting_regulatoryfacts_add")
OBLIGATIONS = reverse("admin:reporting_obligation_changelist")


@pytest.fixture
def breach(compliance):
    system = AISystemFactory(personal_data_categories=["identity", "health"])
    return breach_incident(compliance, systems=[system])


def _ticked(page, name) -> list[str]:
    return page.context["adminform"].form[name].value()


def test_a_new_row_is_prefilled_with_the_proposal_and_saving_confirms_it(client_as, breach):
    client = client_as(roles.COMPLIANCE_OFFICER)
    page = client.get(f"{ADD}?incident={breach.pk}")
    assert _ticked(page, "personal_data_categories") == ["identity", "health"]
    assert "Proposed from the inventory" in page_text(page)

    response = client.post(ADD, {**form_data(page), "incident": breach.pk, "data_subject_categories": ["patients"]})

    assert response.status_code == 302, page_text(response)
    facts = RegulatoryFacts.objects.get(incident=breach)
    assert (facts.personal_data_categories, facts.data_subject_categories) == (["identity", "health"], ["patients"])
    assert facts.breach_facts_confirmed_by.username == "compliance" and facts.breach_facts_confirmed_at


def test_an_existing_row_names_the_proposal_and_saving_the_shown_facts_confirms_them(client_as, breach,
                                                                                   compliance):
    facts = services.regulatory_facts_update(actor=compliance, incident=breach, nis2_entity=True)
    assert not facts.breach_facts_confirmed
    client = client_as(roles.COMPLIANCE_OFFICER)
    change = reverse("admin:reporting_regulatoryfacts_change", args=[facts.pk])
    page = client.get(change)
    text = page_text(page)
    assert "Proposed from the inventory (the affected AI systems' categories): Identity and contact data; " \
           "Health data (GDPR Art. 9)" in text
    assert _ticked(page, "personal_data_categories") in (None, [])  # proposed, not filled in for them
    assert "Not confirmed" in text

    response = client.post(change, {**form_data(page), "personal_data_categories": ["health"]})

    assert response.status_code == 302, page_text(response)
    facts.refresh_from_db()
    assert facts.personal_data_categories == ["health"] and facts.breach_facts_confirmed


def test_a_negative_record_count_is_a_form_error_naming_the_field(client_as, breach):
    client = client_as(roles.COMPLIANCE_OFFICER)
    page = client.get(f"{ADD}?incident={breach.pk}")
    response = client.post(ADD, {**form_data(page), "incident": breach.pk, "records_concerned": "-3"})
    assert response.status_code == 200
    assert "records_concerned" in response.context["adminform"].form.errors
    assert not RegulatoryFacts.objects.exists()


def test_issuing_for_the_placeholder_organisation_is_refused_in_production(client_as, breach, settings):
    settings.ORGANISATION_NAME, settings.DEBUG = "Example Organisation", False
    obligation = breach.obligations.get(key="gdpr.notification")
    response = client_as(roles.COMPLIANCE_OFFICER).post(
        OBLIGATIONS, {"action": "issue_notification", "_selected_action": [obligation.pk]}, follow=True)
    (message,) = messages_of(response)
    assert "ORGANISATION_NAME" in message and "Example Organisation" in message
    assert not Document.objects.exists()


def test_in_development_the_confirmation_names_the_placeholder_as_not_for_submission(client_as, breach, settings):
    settings.ORGANISATION_NAME, settings.DEBUG = "Example Organisation", True
    obligation = breach.obligations.get(key="gdpr.notification")
    page = client_as(roles.COMPLIANCE_OFFICER).post(
        OBLIGATIONS, {"action": "issue_notification", "_selected_action": [obligation.pk]})
    assert page.status_code == 200
    assert "Example Organisation (example organisation: not for submission)" in page_text(page)
