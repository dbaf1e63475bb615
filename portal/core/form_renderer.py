"""The form renderer (`FORM_RENDERER`): Django's, with the plainest widget templates rendered in Python.

An incident's change page renders a few hundred widgets; each input, textarea and select (and each of a select's
options) is a template render that includes `attrs.html`, about a third of the page's time. Those templates hold a
line of markup each, so this renderer writes the same markup in Python: byte for byte what the template writes,
escaping included. It does so only for a template whose source is, exactly, the one the Python code mirrors
(Django's own, checked once per template name): an override in the project or an app, or a Django release that
changes one, is rendered by its template as before. Every other widget template (the admin's, checkboxes lists,
date splits ...) is rendered by its template.
"""

from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime

WIDGETS = "django/forms/widgets/"
ATTRS = (
    "{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}{% if value is not True %}"
    "=\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}{% endfor %}")
INPUT = ('<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %} '
         "value=\"{{ widget.value|stringformat:'s' }}\"{% endif %}{% include \"django/forms/widgets/attrs.html\" %}>\n")
TEXTAREA = ('<textarea name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>\n{% if widget.value %}'
            "{{ widget.value }}{% endif %}</textarea>\n")
SELECT = ('<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>{% for group_name, '
          "group_choices, group_index in widget.optgroups %}{% if group_name %}\n  "
          "<optgroup label=\"{{ group_name }}\">{% endif %}{% for option in group_choices %}\n  "
          "{% include option.template_name with widget=option %}{% endfor %}{% if group_name %}\n  </optgroup>"
          "{% endif %}{% endfor %}\n</select>\n")
OPTION = ("<option value=\"{{ widget.value|stringformat:'s' }}\"{% include \"django/forms/widgets/attrs.html\" %}>"
          "{{ widget.label }}</option>\n")
INCLUDE_INPUT = '{% include "django/forms/widgets/input.html" %}'
# The input types whose template only includes input.html (followed by a newline).
INPUT_TYPES = ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel",
               "color", "checkbox")


def _text(value) -> str:
    """`{{ value|stringformat:'s' }}` under autoescape: safe text as it is, anything else as text, escaped."""
    return value if isinstance(value, SafeData) else conditional_escape(str(value))


def _shown(value) -> str:
    """`{{ value }}` under autoescape: text escaped unless safe; anything else localised as a template does."""
    if not isinstance(value, str):
        value = str(localize(template_localtime(value)))
    return conditional_escape(value)


def _attrs(attrs: dict) -> str:
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        name = conditional_escape(name)
        parts.append(f" {name}" if value is True else f' {name}="{_text(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = f' value="{_text(value)}"' if value is not None else ""
    return (f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
            f'{shown}{_attrs(widget["attrs"])}>\n')


def _textarea(widget: dict) -> str:
    value = widget["value"]
    return (f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
            f'{_shown(value) if value else ""}</textarea>\n')


def _option(option: dict) -> str:
    return (f'<option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
            f'{_shown(option["label"])}</option>\n')


class FastWidgetsRenderer(DjangoTemplates):
    """Django's `DjangoTemplates` form renderer; see the module docstring."""

    def __init__(self):
        super().__init__()
        self._mirrored: dict[str, bool] = {}

    def _mirrors(self, name: str, source: str) -> bool:
        """Whether the template the engine finds for `name` has exactly `source`."""
        if name not in self._mirrored:
            try:
                found = self.get_template(WIDGETS + name).template.source
            except TemplateDoesNotExist:
                found = None
            self._mirrored[name] = found == source
        return self._mirrored[name]

    def _core(self) -> bool:
        return self._mirrors("attrs.html", ATTRS) and self._mirrors("input.html", INPUT)

    def render(self, template_name, context, request=None):
        if template_name.startswith(WIDGETS) and "widget" in context:
            html = self._fast(template_name[len(WIDGETS):], context["widget"])
            if html is not None:
                return html.strip()  # as `render` strips a template's output; the widget marks it safe
        return super().render(template_name, context, request)

    def _fast(self, name: str, widget: dict) -> str | None:
        if not self._core():
            return None
        if name == "input.html":
            return _input(widget)
        if name.removesuffix(".html") in INPUT_TYPES and self._mirrors(name, INCLUDE_INPUT + "\n"):
            return _input(widget) + "\n"
        if name == "textarea.html" and self._mirrors(name, TEXTAREA):
            return _textarea(widget)
        if name == "select.html" and self._mirrors(name, SELECT) and self._mirrors("select_option.html", OPTION):
            return self._select(widget)
        return None

    def _select(self, widget: dict) -> str | None:
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in group_choices:
                if option["template_name"] != WIDGETS + "select_option.html":
                    return None  # an option of its own template: the whole select by its template
                parts.append("\n  " + _option(option))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>\n")
        return "".join(parts)
