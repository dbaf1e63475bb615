"""The form renderer writes the plainest widgets in Python (`portal.core.form_renderer`): byte for byte what
Django's templates write, escaping and localisation included, and falls back to the template wherever the template
is not the one it mirrors."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import override_settings
from django.utils.safestring import mark_safe

from incidents.tests.factories import open_incident
from portal.core.form_renderer import FastWidgetsRenderer

ODD = 'a "quoted" <b>tag</b> & \'apostrophe\' — ünïcode'
CHOICES = [("", "---------"), (1, "One"), ("2", ODD), ("safe", mark_safe("<em>safe</em>")), (3, 3),
           (Decimal("4.5"), datetime.date(2026, 12, 7))]
GROUPED = [("Group <1>", [("a", "A"), ("b", ODD)]), ("c", "C"), (mark_safe("<i>g</i>"), [(5, "Five")])]


class Everything(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"class": "x", "data-x": ODD, "required": True,
                                                         "disabled": False, "maxlength": 40}))
    number = forms.IntegerField(widget=forms.NumberInput(attrs={"step": Decimal("0.5"), "min": 0}))
    email = forms.EmailField()
    url = forms.URLField(assume_scheme="https")
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput)
    moment = forms.DateTimeField(widget=forms.DateTimeInput)
    flag = forms.BooleanField(required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    choice = forms.ChoiceField(choices=CHOICES)
    grouped = forms.ChoiceField(choices=GROUPED)
    many = forms.MultipleChoiceField(choices=CHOICES)
    yes_no = forms.NullBooleanField()
    file = forms.FileField(required=False)
    split = forms.SplitDateTimeField(required=False)
    boxes = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple, required=False)


VALUES = [
    {},
    {"text": ODD, "number": "12", "email": "a@example.org", "url": "https://example.org/?a=1&b=<2>",
     "password": ODD, "hidden": mark_safe("<already safe>"), "date": "2026-12-07", "time": "00:47",
     "moment": "9999-12-31 23:59:59", "flag": "on", "notes": f"line 1\n{ODD}\n", "choice": "2", "grouped": "b",
     "many": ["1", "safe", "4.5"], "yes_no": "true", "boxes": ["1", "3"]},
    {"text": "", "notes": "", "choice": "", "many": [], "yes_no": "unknown"},
]


def rendered(form, renderer) -> list[str]:
    return [str(form[name].as_widget()) for name in form.fields] + [str(form["text"])]


@pytest.mark.parametrize("data", VALUES, ids=["unbound", "odd values", "empty values"])
def test_every_widget_renders_as_djangos_templates_do(data, settings):
    bound = bool(data)
    fast, templates = FastWidgetsRenderer(), DjangoTemplates()

    assert (rendered(Everything(data or None, renderer=fast), fast)
            == rendered(Everything(data or None, renderer=templates), templates)), bound


def test_initial_values_of_other_types_render_as_the_templates_do():
    initial = {"text": 12345.5, "number": Decimal("1234.50"), "notes": datetime.datetime(2026, 12, 7, 0, 47),
               "moment": datetime.datetime(2026, 12, 7, 0, 47, tzinfo=datetime.UTC), "choice": 1, "flag": True}
    fast, templates = FastWidgetsRenderer(), DjangoTemplates()

    with override_settings(USE_THOUSAND_SEPARATOR=True):
        assert (rendered(Everything(initial=initial, renderer=fast), fast)
                == rendered(Everything(initial=initial, renderer=templates), templates))


def test_a_template_that_is_not_the_mirrored_one_is_rendered_by_the_template(tmp_path, settings):
    folder = tmp_path / "django" / "forms" / "widgets"
    folder.mkdir(parents=True)
    (folder / "textarea.html").write_text('<textarea class="own" name="{{ widget.name }}"></textarea>')

    class FromFolder(FastWidgetsRenderer):
        @property
        def engine(self):
            return self.backend({"APP_DIRS": True, "DIRS": [tmp_path, Path(forms.__file__).parent / "templates"],
                                 "NAME": "fromfolder", "OPTIONS": {}})

    renderer = FromFolder()
    form = Everything({"notes": "x", "text": "y"}, renderer=renderer)

    assert str(form["notes"].as_widget()) == '<textarea class="own" name="notes"></textarea>'
    assert str(form["text"].as_widget()) == str(Everything({"text": "y"})["text"].as_widget())


def test_the_portal_renders_forms_with_it(settings):
    assert settings.FORM_RENDERER == "portal.core.form_renderer.FastWidgetsRenderer"


def test_the_incident_page_reads_the_same_with_djangos_renderer(client, role_users):
    incident = open_incident(role_users["admin"])
    client.force_login(role_users["admin"])
    url = f"/admin/incidents/incident/{incident.pk}/change/"

    def page():
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", client.get(url).content.decode())

    fast = page()
    with override_settings(FORM_RENDERER="django.forms.renderers.DjangoTemplates"):
        templates = page()

    assert fast.count("<input") > 50 and fast.count("<select") > 5 and fast.count("<textarea") > 5
    assert fast == templates
