"""Form pieces every admin page that writes through the services uses.

A service refuses with a `ValidationError`; `add_validation_error` puts it on the form (on the named field when the
form shows it), so a broken rule comes back as a form error naming the rule, never as a server error.
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.fields import InvalidJSONInput, JSONString

from portal.core import inputs


def add_validation_error(form, error: ValidationError) -> None:
    """Put a service's ValidationError on `form`: on the named field when the form shows it, else on the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields and field != NON_FIELD_ERRORS else None
            if target is None and field != NON_FIELD_ERRORS:
                label = field.replace("_", " ").capitalize()
                errors = [ValidationError(f"{label}: {message}") for e in errors for message in e.messages]
            form.add_error(target, errors)
    else:
        form.add_error(None, error)


class BoundedJSONFormField(forms.JSONField):
    """Django's JSON form field within the kernel's JSON limits (`portal.core.inputs.json_loads`): nested at most
    64 levels, numbers of at most 100 digits, no NUL character (which PostgreSQL's jsonb cannot store)."""

    def to_python(self, value):
        if self.disabled or value in self.empty_values or isinstance(value, list | dict | int | float | JSONString):
            return super().to_python(value)
        try:
            converted = inputs.json_loads(value, max_bytes=None)
        except inputs.JSONInputError as exc:
            raise ValidationError(f"{exc.message[:1].upper()}{exc.message[1:]}.", code="invalid",
                                  params={"value": value}) from None
        return JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return inputs.json_loads(data)
        except inputs.JSONInputError:
            return InvalidJSONInput(data)


def within_input_limits(field):
    """`field` (a form field built for a model field), with the kernel's limits: dates between 1970 and 2200."""
    dated = isinstance(field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField)
    if dated and inputs.validate_moment_range not in field.validators:
        field.validators.append(inputs.validate_moment_range)
    return field


class ServiceModelForm(forms.ModelForm):
    """Base form of every admin page that saves through a service.

    `service_refusal` is set (on a per-request subclass) when a service refused the save after the form had been
    validated, e.g. a concurrent change won a race; the form is then shown again with the service's reason.
    """

    service_refusal = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # declared fields too (e.g. "submitted at" of an obligation)
            within_input_limits(field)

    def clean(self):
        cleaned = super().clean()
        if self.service_refusal is not None:
            add_validation_error(self, self.service_refusal)
        return cleaned


class ServiceInlineFormSet(forms.BaseInlineFormSet):
    """An inline formset whose rows the admin saves one by one through the services."""

    def live_forms(self):
        """Rows that will exist after the save: valid, not empty, not marked for deletion."""
        deleted = self.deleted_forms
        return [f for f in self.forms if f.is_valid() and f.cleaned_data and f not in deleted]

    def ordered_for_update(self, forms_to_update):
        """The order in which changed rows are saved (a hook for rules that depend on it)."""
        return forms_to_update
