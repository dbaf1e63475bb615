"""Helpers of the incident admin tests: admin URLs, and POST data read back from a rendered admin page."""

from django.forms import CheckboxInput, MultiWidget
from django.urls import reverse

from inventory.tests.admin.helpers import add_inline_row, inline_row_index, messages_of, page_text

__all__ = ["add_inline_row", "admin_url", "form_data", "inline_row_index", "messages_of", "page_text", "prefix_of"]


def admin_url(model_name, page, pk=None):
    return reverse(f"admin:incidents_{model_name}_{page}", args=[] if pk is None else [pk])


def _text(widget, value):
    if isinstance(widget, CheckboxInput):
        return "on" if value else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return widget.format_value(value) if hasattr(widget, "format_value") else str(value)


def _put(data, form):
    for bound in form:
        value, widget = bound.value(), bound.field.widget
        if value is None:
            continue
        if isinstance(widget, MultiWidget):  # split date and time: one value per sub-widget, as a browser sends
            parts = value if isinstance(value, list) else widget.decompress(value)
            for suffix, sub, part in zip(widget.widgets_names, widget.widgets, parts, strict=True):
                if part is not None:
                    data[bound.html_name + suffix] = _text(sub, part)
            continue
        text = _text(widget, value)
        if text is not None:
            data[bound.html_name] = text


def form_data(response) -> dict:
    """The POST data the admin page in `response` would submit unchanged (main form and every inline)."""
    data = {}
    _put(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        _put(data, inline.formset.management_form)
        for form in inline.formset.forms:
            _put(data, form)
    return data


def prefix_of(response, model_name, *, adding=False) -> str:
    """The formset prefix of the inline of `model_name` on the page: the one listing recorded rows, or the one
    adding new rows (`adding`)."""
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        if formset.model._meta.model_name == model_name and (type(inline.opts).__name__.endswith("AddInline")
                                                             == adding):
            return formset.prefix
    raise LookupError(f"No {'adding ' if adding else ''}inline of {model_name} on the page.")
