"""Bad input in the admin comes back as a form error naming the field, never a 500, and writes nothing: a detection
or awareness time outside 1970-2200 (year 9999 with severity P3 overflowed the SLA arithmetic), JSON nested too deep
or carrying a NUL character, a NUL character in a changelist search, and a bad date in a changelist filter."""

import pytest
from django import forms
from django.contrib import admin

from incidents.models import Incident
from incidents.tests.admin.helpers import admin_url, form_data, page_text
from inventory.models import Component
from portal.core import roles
from portal.core.forms import BoundedJSONFormField, ServiceModelForm

RANGE = "between 1970-01-01 and 2200-12-31 (UTC)"


def test_an_incident_detected_in_year_9999_is_a_form_error_and_opens_nothing(client_as, scene):
    client = client_as(roles.COMPLIANCE_OFFICER)
    data = form_data(client.get(admin_url("incident", "add")))
    data.update(title="Far future", track="security", incident_class="jailbreak", severity="p3",
                detection_source="monitoring", systems=[str(scene.system.pk)],
                detected_at_0="9999-12-31", detected_at_1="23:59:59")

    response = client.post(admin_url("incident", "add"), data)

    assert response.status_code == 200
    assert RANGE in str(response.context["adminform"].form.errors["detected_at"])
    assert not Incident.objects.filter(title="Far future").exists()


def test_changing_the_awareness_time_to_year_9999_is_a_form_error_and_changes_nothing(client_as, scene):
    client = client_as(roles.COMPLIANCE_OFFICER)
    url = admin_url("incident", "change", scene.incident.pk)
    data = form_data(client.get(url))
    data.update(aware_at_0="9999-12-31", aware_at_1="12:00:00")

    response = client.post(url, data)

    assert response.status_code == 200, page_text(response)
    assert RANGE in str(response.context["adminform"].form.errors["aware_at"])
    incident = Incident.objects.get()
    assert (incident.version, incident.aware_at) == (1, scene.incident.aware_at)


@pytest.mark.parametrize(("text", "words"), [
    ('["sha256:' + "a" * 10 + '\\u0000"]', "NUL characters"),
    ("[" * 2000 + "]" * 2000, "nested more than 64 levels deep"),
    ("[1" + "0" * 5000 + "]", "at most 100"),
])
def test_json_fields_of_admin_forms_refuse_what_the_database_cannot_store(rf, role_users, text, words):
    model_admin = admin.site._registry[Component]
    request = rf.get("/")
    request.user = role_users["admin"]
    form_class = model_admin.get_form(request)
    if "hashes" not in form_class.base_fields:
        pytest.skip("the component admin does not edit hashes")
    assert isinstance(form_class.base_fields["hashes"], BoundedJSONFormField)
    field = form_class.base_fields["hashes"]
    with pytest.raises(forms.ValidationError, match=words):
        field.clean(text)


def test_the_bounded_json_form_field_parses_good_json_and_shows_bad_json_back():
    field = BoundedJSONFormField()
    assert field.clean('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    assert field.bound_data("[" * 100 + "]" * 100, None) == "[" * 100 + "]" * 100  # shown back as typed


def test_declared_date_fields_of_service_forms_are_range_checked_too():
    class Form(ServiceModelForm):
        when = forms.DateTimeField()

        class Meta:
            model = Incident
            fields = ["title"]

    form = Form(data={"title": "x", "when": "9999-12-31 10:00"})
    assert not form.is_valid() and RANGE in form.errors["when"][0]


def test_a_nul_character_in_a_changelist_search_answers_400(client_as, scene):
    response = client_as(roles.COMPLIANCE_OFFICER).get(admin_url("incident", "changelist") + "?q=%00")
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["detected_at__gte=9999-99-99", "detected_at__year=99999999999999999999",
                                   "detected_at__gte=0001-01-01T00:00:00%2B14:00", "o=99", "p=99999999999999999999",
                                   "severity__exact=nope", "all=1&o=-1.x", "system=abc", "system=99999"])
def test_a_bad_changelist_filter_never_answers_500(client_as, scene, query):
    response = client_as(roles.COMPLIANCE_OFFICER).get(admin_url("incident", "changelist") + "?" + query)
    assert response.status_code < 500
