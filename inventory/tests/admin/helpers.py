"""Helpers of the admin tests: admin URLs, and POST data read back from a rendered admin form."""

import html

from django.contrib.messages import get_messages
from django.urls import reverse

WRITABLE_MODELS = [
    "aisystem", "component", "systemcomponent", "componentdependency", "team", "raciassignment", "escalationstep",
]
READ_ONLY_MODELS = ["jurisdiction", "inventoryevent"]
ALL_MODELS = WRITABLE_MODELS + READ_ONLY_MODELS


def admin_url(model_name, page, pk=None):
    args = [] if pk is None else [pk]
    return reverse(f"admin:inventory_{model_name}_{page}", args=args)


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _put(data, form):
    for bound in form:
        value = bound.value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = str(value)


def form_data(response) -> dict:
    """The POST data the admin page in `response` would submit unchanged (main form and every inline)."""
    data = {}
    _put(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _put(data, formset.management_form)
        for form in formset.forms:
            _put(data, form)
    return data


def add_inline_row(data, prefix, **fields):
    """Append one new row to the inline formset `prefix` of `data`."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    return data


def inline_row_index(data, prefix, pk) -> int:
    """The index of the inline row that holds the saved row `pk`."""
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    return next(i for i in range(total) if data.get(f"{prefix}-{i}-id") == str(pk))
