"""Admin widgets that cannot end in a server error on bad input.

Django's autocomplete widgets look up their selected values to label them; a value that is not a key of the related
model (a typed-in `?incident=abc`, a number beyond the database's integers, "²") raises in that query, and the page
answers 500 where the form should say "Select a valid choice". Here such values are left out of the lookup: the
form field reports them as invalid on its own.
"""

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import models

BIGGEST_KEY = 2**63 - 1  # the largest integer both databases store


def record_key(value) -> int | None:
    """A record's integer key typed by a person or a URL ("12"), or None when it is not one (words, "²", a sign,
    more digits than a database integer holds)."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= BIGGEST_KEY else None


class SafeAutocompleteMixin:
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if self._is_key(v)], attr)

    def _is_key(self, value) -> bool:
        field = self.field.remote_field
        key = field.model._meta.get_field(getattr(field, "field_name", None) or field.model._meta.pk.name)
        if value in (None, ""):
            return True
        try:
            python = key.to_python(value)
        except (ValidationError, TypeError, ValueError):
            return False
        if isinstance(key, models.IntegerField | models.AutoField):
            return record_key(python) is not None
        return True


class SafeAutocompleteSelect(SafeAutocompleteMixin, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(SafeAutocompleteMixin, AutocompleteSelectMultiple):
    pass
