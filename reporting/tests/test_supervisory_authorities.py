"""The competent supervisory authority of a breach notification: the GDPR lead authority of the main establishment
(Art. 56(1)), each affected Member State's authority without an EEA main establishment (Art. 55(1)), the ICO for
UK GDPR; named on the obligation and in the notification."""

import pytest
from django.urls import reverse

from portal.core import roles
from reporting import authorities
from reporting.clock.regimes import location_groups
from reporting.services.documents import notification_context
from reporting.tests.factories import breach_incident

EEA = location_groups()["eea"]


def test_the_data_names_an_authority_for_every_eea_country_and_the_uk():
    assert set(authorities.authorities()) == set(EEA) | {"GB"}
    assert authorities.authorities()["GB"].source == "https://ico.org.uk"
    assert authorities.authorities()["FR"].source == "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en"


def test_an_irish_main_establishment_leads_with_the_data_protection_commission():
    competence = authorities.gdpr_competence(main_establishment="IE", locations=["DE", "FR"], eea=EEA)
    assert competence.one_stop_shop
    assert [a.name for a in competence.authorities] == ["Data Protection Commission (Ireland)"]
    assert competence.text.startswith("Lead supervisory authority (GDPR Art. 56(1)), main establishment in IE")


def test_a_german_main_establishment_names_the_land_authority_and_the_federal_commissioners_role():
    competence = authorities.gdpr_competence(main_establishment="de", locations=[], eea=EEA)
    assert competence.one_stop_shop
    assert "German Land of the main establishment" in competence.text
    assert "Federal Commissioner for Data Protection and Freedom of Information (BfDI)" in competence.text


def test_without_an_eea_main_establishment_each_affected_member_states_authority_is_named():
    competence = authorities.gdpr_competence(main_establishment="US", locations=["US-CA", "FR", "NL", "GB"],
                                             eea=EEA)
    assert not competence.one_stop_shop
    assert "one-stop shop (GDPR Art. 56(1)) does not apply" in competence.text
    assert [a.country for a in competence.authorities] == ["FR", "NL"]
    assert "Commission Nationale de l'Informatique et des Libertés (CNIL)" in competence.text
    assert "Autoriteit Persoonsgegevens" in competence.text and "ICO" not in competence.text


def test_an_unset_country_says_so_and_names_the_affected_member_states():
    competence = authorities.gdpr_competence(main_establishment="", locations=["DE-BY"], eea=EEA)
    assert "ORGANISATION_COUNTRY is not set" in competence.text
    assert [a.country for a in competence.authorities] == ["DE"]
    nothing = authorities.gdpr_competence(main_establishment="", locations=[], eea=EEA)
    assert nothing.authorities == () and "No affected EEA country is recorded" in nothing.text


def test_uk_gdpr_names_the_ico():
    assert authorities.uk_competence().text.startswith("Information Commissioner's Office (ICO)")


@pytest.mark.django_db
@pytest.mark.parametrize(("country", "named"), [
    ("IE", "Data Protection Commission (Ireland)"),
    ("DE", "German Land of the main establishment"),
    ("US", "Italian Data Protection Authority"),  # no EEA main establishment: the affected Member State's
])
def test_the_gdpr_notification_names_the_competent_authority(compliance, settings, country, named):
    settings.ORGANISATION_COUNTRY = country
    incident = breach_incident(compliance, jurisdictions=("IT",))
    context = notification_context(incident.obligations.get(key="gdpr.notification"))
    assert named in context["authority"]["text"]
    item = next(i for i in context["content"] if i["label"] == "Competent supervisory authority")
    assert item["value"] == context["authority"]["text"] and item["provision"] == "Art. 33(1), 55(1), 56(1)"
    assert context["organisation"]["country"] == country


@pytest.mark.django_db
def test_the_uk_gdpr_notification_names_the_ico(compliance):
    incident = breach_incident(compliance, jurisdictions=("GB",))
    context = notification_context(incident.obligations.get(key="uk_gdpr.notification"))
    assert "Information Commissioner's Office (ICO)" in context["authority"]["text"]


@pytest.mark.django_db
def test_the_obligation_page_shows_the_competent_authority(client_as, compliance, settings):
    settings.ORGANISATION_COUNTRY = "IE"
    incident = breach_incident(compliance)
    obligation = incident.obligations.get(key="gdpr.notification")
    page = client_as(roles.COMPLIANCE_OFFICER).get(reverse("admin:reporting_obligation_change",
                                                           args=[obligation.pk]))
    assert page.status_code == 200
    assert "Data Protection Commission (Ireland)" in page.content.decode()
