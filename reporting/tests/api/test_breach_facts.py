"""The breach facts through the API (the inventory's proposal read-only, the confirmed values written, bad input a
400 naming the field), and issuing a notification while the organisation is the placeholder: refused in production,
issued with a warning and a visible flag in development (one PDF rendered in this module)."""

import io

import pypdf
import pytest
from django.core.files.storage import default_storage

from inventory.tests.factories import AISystemFactory
from reporting.models import Document, RegulatoryFacts
from reporting.tests.api.conftest import COMPLIANCE, errors, incident_url, obligation_url, post, put
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db
PLACEHOLDER = "Example Organisation"


@pytest.fixture
def breach(compliance):
    system = AISystemFactory(personal_data_categories=["identity", "financial"])
    return breach_incident(compliance, systems=[system])


def test_the_facts_carry_the_inventory_proposal_read_only_and_no_confirmed_categories(client_as, breach):
    client = client_as(COMPLIANCE)
    body = client.get(incident_url(breach, "regulatory-facts/")).json()
    assert body["personal_data_categories_proposed"] == ["identity", "financial"]
    assert body["personal_data_categories"] is None and body["breach_facts_confirmed_at"] is None

    response = put(client, incident_url(breach, "regulatory-facts/"),
                   {"personal_data_categories_proposed": ["health"], "nis2_entity": False})
    assert response.status_code == 200, response.content
    assert response.json()["personal_data_categories_proposed"] == ["identity", "financial"]


def test_putting_the_breach_facts_confirms_them_in_the_callers_name(client_as, breach):
    response = put(client_as(COMPLIANCE), incident_url(breach, "regulatory-facts/"), {
        "personal_data_categories": ["financial"], "data_subject_categories": ["customers"],
        "records_concerned": 250})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["personal_data_categories"], body["data_subject_categories"], body["records_concerned"]) == (
        ["financial"], ["customers"], 250)
    assert body["breach_facts_confirmed_by_username"] == "compliance" and body["breach_facts_confirmed_at"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"personal_data_categories": ["identity", "gossip"]}, "personal_data_categories"),
    ({"data_subject_categories": ["aliens"]}, "data_subject_categories"),
    ({"records_concerned": -1}, "records_concerned"),
])
def test_bad_breach_facts_are_a_400_naming_the_field_and_nothing_is_written(client_as, breach, payload, field):
    assert errors(put(client_as(COMPLIANCE), incident_url(breach, "regulatory-facts/"), payload)) == {field}
    assert not RegulatoryFacts.objects.filter(incident=breach).exists()


def test_a_notification_for_the_placeholder_organisation_is_refused_in_production(client_as, breach, settings):
    settings.ORGANISATION_NAME, settings.DEBUG = PLACEHOLDER, False
    notification = breach.obligations.get(key="gdpr.notification")
    response = post(client_as(COMPLIANCE), obligation_url(notification, "issue/"), {"version": notification.version})
    assert response.status_code == 400, response.content
    assert "ORGANISATION_NAME" in response.content.decode() and PLACEHOLDER in response.content.decode()
    assert not Document.objects.exists()


def test_in_development_it_is_issued_flagged_not_for_submission_with_a_warning(client_as, breach, settings):
    settings.ORGANISATION_NAME, settings.DEBUG = PLACEHOLDER, True
    notification = breach.obligations.get(key="gdpr.notification")
    response = post(client_as(COMPLIANCE), obligation_url(notification, "issue/"), {"version": notification.version})
    assert response.status_code == 201, response.content
    (warning,) = response.json()["warnings"]
    assert "not for submission" in warning and "ORGANISATION_NAME" in warning

    document = Document.objects.get(pk=response.json()["id"])
    assert document.render_context["organisation"]["placeholder"] is True
    with default_storage.open(document.file.name, "rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Example organisation: not for submission" in text
    # Unconfirmed breach facts are stated in words, never as the inventory's categories.
    assert "Not yet established; to be provided in phases" in text
    assert "Identity and contact data" not in text and "Financial data" not in text


def test_the_obligation_names_its_competent_authority(client_as, breach, settings):
    settings.ORGANISATION_COUNTRY = "IE"
    notification = breach.obligations.get(key="gdpr.notification")
    body = client_as(COMPLIANCE).get(obligation_url(notification)).json()
    assert "Data Protection Commission (Ireland)" in body["competent_authority"]
    record = breach.obligations.get(key="gdpr.record")
    assert client_as(COMPLIANCE).get(obligation_url(record)).json()["competent_authority"] is None
