"""Autocomplete widgets that label the selected options from the objects the change page already loaded.

Django's autocomplete widget reads its selected options again (one query per field) to show their labels. The
incident page prefetches the systems, components, taxonomies, jurisdictions and commander it shows; the form hands
them to these widgets (`known`), which read nothing when every selected value is among them, and fall back to the
query otherwise (a form shown again with other values submitted).
"""

from portal.core.widgets import SafeAutocompleteSelect, SafeAutocompleteSelectMultiple


class KnownChoicesMixin:
    known: tuple = ()

    def optgroups(self, name, value, attr=None):
        field = self.field.remote_field
        to_field = field.model._meta.get_field(getattr(field, "field_name", None) or field.model._meta.pk.name)
        known = {str(getattr(obj, to_field.attname)): obj for obj in self.known}
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if not selected <= known.keys():
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        for key, obj in known.items():
            if key in selected:
                options.append(self.create_option(name, getattr(obj, to_field.attname),
                                                  self.choices.field.label_from_instance(obj), selected,
                                                  len(options)))
        return [(None, options, 0)]


class KnownAutocompleteSelect(KnownChoicesMixin, SafeAutocompleteSelect):
    pass


class KnownAutocompleteSelectMultiple(KnownChoicesMixin, SafeAutocompleteSelectMultiple):
    pass


def hand_known_choices(form, names):
    """Give each autocomplete widget of `form` among `names` the related objects its instance has loaded."""
    instance = form.instance
    prefetched = getattr(instance, "_prefetched_objects_cache", {})
    for name in names:
        if name not in form.fields:
            continue
        widget = getattr(form.fields[name].widget, "widget", form.fields[name].widget)
        if not isinstance(widget, KnownChoicesMixin):
            continue
        descriptor = type(instance).__dict__.get(name)
        if name in prefetched:
            widget.known = tuple(prefetched[name])
        elif hasattr(descriptor, "is_cached") and descriptor.is_cached(instance):
            related = getattr(instance, name)
            widget.known = (related,) if related is not None else ()
