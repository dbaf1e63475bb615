"""The confidential-field declaration (`portal.core.confidential`) and the kernel pieces that honour it: who is
cleared, which query paths read a confidential field, the admin base that leaves such fields out (even where an
admin overrides the methods), and the system checks that refuse an admin or an API view bypassing them."""

import pytest
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from rest_framework import serializers as drf_serializers
from rest_framework.filters import SearchFilter

from incidents.models import Incident
from portal.core import checks, confidential, roles
from portal.core.admin import ConfidentialFieldsAdmin, ServiceModelAdmin
from reporting.api import views as reporting_views
from reporting.models import DisclosureDecision, Document

pytestmark = pytest.mark.django_db

CLEARED = (roles.COMPLIANCE_OFFICER, roles.LEGAL_REVIEWER, "admin")
NOT_CLEARED = (roles.INCIDENT_RESPONDER, roles.LEADERSHIP, roles.AUDITOR)


@pytest.mark.parametrize("role", CLEARED)
def test_compliance_legal_and_superusers_are_cleared_for_the_privileged_analysis(role_users, role):
    user = role_users[role]
    assert confidential.may_read(user, DisclosureDecision, "privileged_analysis")
    assert confidential.withheld_fields(user, DisclosureDecision) == frozenset()


@pytest.mark.parametrize("role", NOT_CLEARED)
def test_other_roles_are_not_cleared_and_see_the_placeholder(role_users, role):
    user = role_users[role]
    assert not confidential.may_read(user, "reporting.DisclosureDecision", "privileged_analysis")
    assert confidential.withheld_fields(user, DisclosureDecision) == {"privileged_analysis"}
    assert confidential.scrub({"rationale": "R", "privileged_analysis": "P"}, user=user, model=DisclosureDecision) \
        == {"rationale": "R", "privileged_analysis": confidential.WITHHELD}


def test_nobody_and_anonymous_visitors_are_cleared_for_nothing(django_user_model):
    from django.contrib.auth.models import AnonymousUser

    for reader in (None, AnonymousUser()):
        assert confidential.withheld_fields(reader, DisclosureDecision) == {"privileged_analysis"}
    assert confidential.may_read(None, DisclosureDecision, "rationale")  # not confidential: anyone


def test_a_history_row_is_asked_about_as_the_record_it_records():
    assert confidential.label_of(DisclosureDecision.history.model) == "reporting.disclosuredecision"
    assert confidential.confidential_fields(DisclosureDecision.history.model) == {"privileged_analysis"}


@pytest.mark.parametrize("path", [
    "privileged_analysis", "privileged_analysis__icontains", "^privileged_analysis", "=privileged_analysis",
    "-privileged_analysis"])
def test_a_query_path_on_the_field_itself_reads_it(path):
    assert confidential.path_withheld(DisclosureDecision, path, None)


@pytest.mark.parametrize(("model", "path"), [
    (Incident, "disclosure_decisions__privileged_analysis__icontains"),
    (Document, "disclosure__privileged_analysis"),
])
def test_a_query_path_through_a_relation_reads_it(model, path):
    assert confidential.path_withheld(model, path, None)


@pytest.mark.parametrize(("model", "path"), [
    (DisclosureDecision, "legal_basis__icontains"), (Incident, "disclosure_decisions__rationale"),
    (Incident, "reference"), (DisclosureDecision, "incident__reference"), (Incident, "an_annotation"),
])
def test_other_query_paths_read_nothing_confidential(model, path):
    assert not confidential.path_withheld(model, path, None)


def test_a_cleared_reader_may_query_the_field(role_users):
    assert not confidential.path_withheld(Incident, "disclosure_decisions__privileged_analysis",
                                          role_users[roles.LEGAL_REVIEWER])


def test_naming_a_confidential_field_for_a_document_or_export_is_refused(compliance):
    decision = DisclosureDecision(rationale="R", legal_basis="L", privileged_analysis="P")
    assert confidential.shareable(decision, ["rationale"]) == {"rationale": "R"}
    with pytest.raises(ImproperlyConfigured, match="privileged_analysis is confidential"):
        confidential.shareable(decision, ["rationale", "privileged_analysis"])


# --- the admin base --------------------------------------------------------------------------------------------------

class CarelessDecisionAdmin(ServiceModelAdmin):
    """Overrides the methods the base guards, naming the confidential field everywhere."""

    def get_fields(self, request, obj=None):
        return ["rationale", "privileged_analysis"]

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": [("rationale", "privileged_analysis"), "legal_basis"]})]

    def get_list_display(self, request):
        return ["incident", "privileged_analysis"]

    def get_search_fields(self, request):
        return ["legal_basis", "privileged_analysis"]


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize("role", NOT_CLEARED)
def test_an_admin_overriding_the_guarded_methods_still_leaves_the_field_out(role_users, role):
    model_admin = CarelessDecisionAdmin(DisclosureDecision, admin.site)
    request = _request(role_users[role])
    assert model_admin.get_fields(request) == ["rationale"]
    assert model_admin.get_fieldsets(request) == [(None, {"fields": [("rationale",), "legal_basis"]})]
    assert model_admin.get_list_display(request) == ["incident"]
    assert model_admin.get_search_fields(request) == ["legal_basis"]
    assert "privileged_analysis" in model_admin.get_exclude(request)
    assert "privileged_analysis" not in model_admin.get_form(request).base_fields
    assert not model_admin.lookup_allowed("privileged_analysis__icontains", "x", request)


@pytest.mark.parametrize("role", CLEARED)
def test_the_cleared_keep_the_field_search_and_filter(role_users, role):
    model_admin = CarelessDecisionAdmin(DisclosureDecision, admin.site)
    request = _request(role_users[role])
    assert model_admin.get_fields(request) == ["rationale", "privileged_analysis"]
    assert model_admin.get_search_fields(request) == ["legal_basis", "privileged_analysis"]
    assert model_admin.lookup_allowed("privileged_analysis__icontains", "x", request)


# --- the system checks -----------------------------------------------------------------------------------------------

def test_the_portal_passes_the_checks():
    assert checks.check_declaration() == []
    assert checks.check_admin() == []
    assert checks.check_api() == []


def test_a_declaration_naming_no_model_field_or_role_fails_the_check(monkeypatch):
    monkeypatch.setattr(confidential, "CONFIDENTIAL", {
        "reporting.nosuchmodel": {"x": frozenset()},
        "reporting.disclosuredecision": {"no_such_field": frozenset({"astrologer"})},
    })
    assert {e.id for e in checks.check_declaration()} == {"core.E101", "core.E102", "core.E103"}


def test_an_admin_of_a_model_with_confidential_fields_without_the_base_fails_the_check(monkeypatch):
    monkeypatch.setitem(admin.site._registry, DisclosureDecision, admin.ModelAdmin(DisclosureDecision, admin.site))
    assert [e.id for e in checks.check_admin()] == ["core.E104"]


def test_an_admin_searching_a_confidential_field_through_a_relation_without_the_base_fails_the_check(monkeypatch):
    class SearchingAdmin(admin.ModelAdmin):
        search_fields = ["reference", "disclosure_decisions__privileged_analysis"]

    monkeypatch.setitem(admin.site._registry, Incident, SearchingAdmin(Incident, admin.site))
    assert [e.id for e in checks.check_admin()] == ["core.E105"]
    assert issubclass(type(admin.site._registry[Document]), ConfidentialFieldsAdmin)  # the others use the base


def test_an_api_view_bypassing_the_serializer_mixin_or_the_filters_fails_the_check(monkeypatch):
    class PlainSerializer(drf_serializers.ModelSerializer):
        class Meta:
            model = DisclosureDecision
            fields = ["id", "privileged_analysis"]

    view = reporting_views.DisclosureDecisionViewSet
    monkeypatch.setattr(view, "serializer_class", PlainSerializer)
    monkeypatch.setattr(view, "filter_backends", [SearchFilter])
    assert {e.id for e in checks.check_api()} == {"core.E106", "core.E107"}
