"""The base of every admin page that writes regulated records: every save and delete goes through the services.

Django's admin would call `obj.save()`, `form.save_m2m()`, `formset.save()` and `obj.delete()`; here each of those
becomes a service call with the signed-in user as the actor, so admin writes leave the same history rows and
timeline events as any other write. A service that refuses (a rule broken by a concurrent change, a row still in
use) rolls the whole submission back and is shown as a form error or an error message, never as a server error.

Which services write a model is registered by the app that owns it (`register_writes`), so the kernel names no
app. History pages are for reading: reverting from them would write without the services.

A delete that records still refer to is refused before anything is shown as deletable: the delete page shows the
refusal (what refers to the row, and the alternative, e.g. retire, as a button running the matching list action)
instead of the confirmation, and the bulk delete action deletes nothing and says why (`DeleteRefusalMixin`).

Every admin of the portal also honours the confidential fields (`portal.core.confidential`) through
`ConfidentialFieldsAdmin`: a reader not cleared for a field never gets its value from any admin page (change and
view pages, lists, search, filters, history list and version pages), and may not search, filter or sort by it.
"""

from dataclasses import dataclass
from functools import wraps
from importlib import import_module

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import model_format_dict, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet, FullResultSet, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from portal.core import confidential
from portal.core.forms import BoundedJSONFormField, ServiceInlineFormSet, ServiceModelForm, within_input_limits
from portal.core.widgets import SafeAutocompleteSelect, SafeAutocompleteSelectMultiple

_REFUSAL = "_service_refusal"


class ServiceRefused(Exception):
    """A service refused a write the form had accepted (a rule broken by a concurrent change, a row in use)."""

    def __init__(self, error: ValidationError):
        super().__init__("; ".join(error.messages))
        self.error = error

    @property
    def message(self) -> str:
        return str(self)


def call(service, /, **kwargs):
    """Run a service; its ValidationError becomes ServiceRefused, which the change form shows as a form error."""
    try:
        return service(**kwargs)
    except ValidationError as exc:
        raise ServiceRefused(exc) from exc


# --- which services write a model ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Writes:
    """The service functions that create, update and delete one model, by name on the module `services`, and the
    keyword the update and delete services take the row by. Looked up when called, so the current function runs."""

    services: str  # dotted module path, e.g. "inventory.services"
    create: str
    update: str
    delete: str
    keyword: str
    delete_check: str = ""  # raises the ValidationError that refuses a delete, without deleting (optional)

    def do_create(self, *, actor, data: dict):
        return self._call(self.create, actor=actor, **data)

    def do_update(self, *, actor, instance, changes: dict):
        return self._call(self.update, actor=actor, **{self.keyword: instance}, **changes)

    def do_delete(self, *, actor, instance) -> None:
        self._call(self.delete, actor=actor, **{self.keyword: instance})

    def delete_refusal(self, *, instance) -> ValidationError | None:
        """Why the delete service would refuse `instance` (None: it may be deleted, as far as the check knows)."""
        if not self.delete_check:
            return None
        try:
            getattr(import_module(self.services), self.delete_check)(**{self.keyword: instance})
        except ValidationError as refusal:
            return refusal
        return None

    def _call(self, service_name, /, **kwargs):
        return call(getattr(import_module(self.services), service_name), **kwargs)


_WRITES: dict = {}


def register_writes(model, writes: Writes) -> None:
    _WRITES[model] = writes


def writes_for(model) -> Writes:
    try:
        return _WRITES[model]
    except KeyError:
        raise LookupError(f"No services registered for {model._meta.label}: its admin must save through its "
                          "own services (override save_model) or register them with register_writes.") from None


# --- form values --------------------------------------------------------------------------------------------------

def _writable_names(model) -> set[str]:
    opts = model._meta
    concrete = {f.name for f in opts.concrete_fields if not f.primary_key}
    return concrete | {f.name for f in opts.many_to_many}


def form_values(form, *, exclude=()) -> dict:
    """Every model field the form submitted (many-to-many included: the services take them by name)."""
    names = _writable_names(form._meta.model) - set(exclude)
    return {name: value for name, value in form.cleaned_data.items() if name in names}


def changed_values(form, *, exclude=()) -> dict:
    """The model fields the user changed, with their new values."""
    names = _writable_names(form._meta.model) - set(exclude)
    return {name: form.cleaned_data[name] for name in form.changed_data if name in names and name in form.cleaned_data}


def adopt(target, saved) -> None:
    """Make `target` (the object Django's admin holds) the row the service saved: same pk and field values."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


# --- confidential fields ------------------------------------------------------------------------------------------

def _without(names, request, model):
    """`names` (field names, query paths, admin methods) less those that read a field the user may not read."""
    if names is None:
        return None
    kept = [n for n in names if not (isinstance(n, str) and confidential.path_withheld(model, n, request.user))]
    return type(names)(kept) if isinstance(names, tuple) else kept


def _fieldsets_without(fieldsets, request, model):
    hidden = confidential.withheld_fields(request.user, model)
    if not hidden:
        return fieldsets
    result = []
    for name, options in fieldsets:
        fields = []
        for entry in options.get("fields", ()):
            if isinstance(entry, list | tuple):  # several fields on one line
                line = [f for f in entry if f not in hidden]
                if line:
                    fields.append(type(entry)(line))
            elif entry not in hidden:
                fields.append(entry)
        result.append((name, {**options, "fields": fields}))
    return result


def _list_filter_without(filters, request, model):
    kept = []
    for item in filters:
        path = item[0] if isinstance(item, list | tuple) else item
        if not (isinstance(path, str) and confidential.path_withheld(model, path, request.user)):
            kept.append(item)
    return kept


def _exclude_with(exclude, request, admin_obj):
    hidden = confidential.withheld_fields(request.user, admin_obj.model)
    if not hidden:
        return exclude
    if exclude is None:  # Django would then add the form's own Meta.exclude: keep it
        exclude = getattr(getattr(admin_obj.form, "_meta", None), "exclude", None) or ()
    return [*exclude, *sorted(hidden - set(exclude))]


def _paths(names, request, admin_obj):
    return _without(names, request, admin_obj.model)


# What each guarded method's answer becomes for the requesting user: (answer, request, admin) -> answer.
_GUARDED = {
    "get_fields": _paths,
    "get_readonly_fields": _paths,
    "get_fieldsets": lambda sets, request, admin_obj: _fieldsets_without(sets, request, admin_obj.model),
    "get_exclude": _exclude_with,
    "get_list_display": _paths,
    "get_list_display_links": _paths,
    "get_list_filter": lambda items, request, admin_obj: _list_filter_without(items, request, admin_obj.model),
    "get_search_fields": _paths,
    "get_ordering": _paths,
    "get_sortable_by": _paths,
    "get_history_list_display": _paths,
}


def _guard(name, method):
    if getattr(method, "_confidential_guard", False):
        return method
    how = _GUARDED[name]

    @wraps(method)
    def guarded(self, request, *args, **kwargs):
        return how(method(self, request, *args, **kwargs), request, self)

    guarded._confidential_guard = True
    return guarded


class ConfidentialHistoryHelper(HistoricalRecordContextHelper):
    """simple-history's Changes column with the values of withheld fields replaced: "changed", never what to."""

    def __init__(self, model, historical_record, *, hidden, **kwargs):
        super().__init__(model, historical_record, **kwargs)
        self.hidden = hidden

    def context_for_delta_changes(self, delta):
        shown = []
        for change in delta.changes:
            if change.field in self.hidden:
                label = capfirst(self.model._meta.get_field(change.field).verbose_name)
                shown.append({"field": label, "old": confidential.WITHHELD, "new": confidential.WITHHELD,
                              "withheld": True})
            else:
                formatted = self.format_delta_change(change)
                shown.append({"field": formatted.field, "old": formatted.old, "new": formatted.new,
                              "withheld": False})
        return shown


class ConfidentialFieldsAdmin:
    """Mixin of every portal admin (model admins and inlines): the confidential fields of `portal.core.confidential`
    are left out for a user not cleared for them, wherever Django's admin or simple-history would show, search,
    filter or sort by them; a filter on one in the URL (`?privileged_analysis__icontains=x`) is refused, so its
    content cannot be probed by result counts; the history list says that such a field changed, not what to; and
    the object a page shows (change, view and version pages) carries the placeholder instead of the value.

    The `get_*` methods a subclass overrides are guarded too (`__init_subclass__`), so an admin cannot forget."""

    object_history_list_template = "core/admin/object_history_list.html"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _GUARDED:
            if name in cls.__dict__:
                setattr(cls, name, _guard(name, cls.__dict__[name]))

    def lookup_allowed(self, lookup, value, request=None):
        user = getattr(request, "user", None)  # without a request: as for someone cleared for nothing
        if confidential.path_withheld(self.model, lookup, user):
            return False
        return super().lookup_allowed(lookup, value, request)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        confidential.scrub_instance(obj, user=request.user)  # for display only: the form leaves the field out
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # simple-history's pages (for an admin that is also a SimpleHistoryAdmin)

    def get_historical_record_context_helper(self, request, historical_record):
        return ConfidentialHistoryHelper(
            self.model, historical_record, hidden=confidential.withheld_fields(request.user, self.model))

    def render_history_view(self, request, template, context, **kwargs):
        confidential.scrub_instance(context.get("original"), user=request.user)  # a version page's record
        return super().render_history_view(request, template, context, **kwargs)


def _guard_own_methods(cls):
    for name in _GUARDED:
        def passthrough(self, request, *args, _name=name, **kwargs):
            return getattr(super(cls, self), _name)(request, *args, **kwargs)

        passthrough.__name__ = name
        setattr(cls, name, _guard(name, passthrough))
    return cls


_guard_own_methods(ConfidentialFieldsAdmin)


# --- the admin classes --------------------------------------------------------------------------------------------

class DeleteRefusalMixin:
    """Delete pages and the bulk delete action that show a refusal instead of deleting a row records refer to.

    `delete_refusal(request, obj)` returns the ValidationError that refuses the delete (None: it may be deleted).
    `delete_alternative` names the list action offered instead (e.g. "retire_selected"), with its button label in
    `delete_alternative_label`; the button shows only to users who may run that action.
    """

    delete_alternative = ""
    delete_alternative_label = ""

    def delete_refusal(self, request, obj) -> ValidationError | None:
        return None

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_delete_permission(request, obj):
            refusal = self.delete_refusal(request, obj)
            if refusal is not None:
                return self.delete_refused_response(request, obj, refusal)
        return super().delete_view(request, object_id, extra_context)

    def _alternative(self, request):
        actions = self.get_actions(request)
        if self.delete_alternative not in actions:
            return None
        _, name, description = actions[self.delete_alternative]
        return {"action": name, "label": self.delete_alternative_label or description % model_format_dict(self.opts),
                "description": description % model_format_dict(self.opts)}

    def delete_refused_response(self, request, obj, refusal: ValidationError):
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": f"Cannot delete the {opts.verbose_name} '{obj}'",
            "opts": opts,
            "object": obj,
            "refusal": " ".join(refusal.messages),
            "reasons": getattr(refusal, "reasons", ()),
            "subject": getattr(refusal, "subject", ""),
            "instead": getattr(refusal, "alternative", ""),
            "alternative": self._alternative(request),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/delete_refused.html", context)

    @admin.action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
    def delete_selected(self, request, queryset):
        """Django's delete action, in one transaction: a refusal, before the confirmation or by the service when
        deleting, deletes nothing and says why."""
        if self.refuse_bulk_delete(request, queryset):
            return None
        try:
            with transaction.atomic():
                return django_delete_selected(self, request, queryset)
        except (ServiceRefused, ValidationError) as refused:
            text = refused.message if isinstance(refused, ServiceRefused) else " ".join(refused.messages)
            self.message_user(request, f"Nothing was deleted: {text}", messages.ERROR)
            return None

    def refuse_bulk_delete(self, request, queryset) -> bool:
        """Before the bulk delete confirmation (and again before deleting): if any selected row is refused, say
        why for each and what to do instead, delete nothing and return True."""
        refused = [refusal for obj in queryset if (refusal := self.delete_refusal(request, obj)) is not None]
        if not refused:
            return False
        reasons = " ".join(message for refusal in refused for message in refusal.messages)
        alternative = self._alternative(request)
        hint = f" Use the action '{alternative['description']}' instead." if alternative else ""
        self.message_user(request, f"Nothing was deleted: {reasons}{hint}", messages.ERROR)
        return True


class BoundedChangeList(ChangeList):
    """A changelist whose filters from the query string cannot end in a server error: a value the database
    adapter cannot take (`?detected_at__gte=0001-01-01T00:00:00+14:00`, `?detected_at__year=99999999999999999999`)
    is an invalid lookup, which the admin answers by showing the list without filters (`?e=1`)."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        try:  # compiling the SQL (no query) converts each value as the database will
            queryset.query.get_compiler(queryset.db).as_sql()
        except (EmptyResultSet, FullResultSet):
            pass
        except (OverflowError, ValueError, TypeError) as exc:
            raise IncorrectLookupParameters(exc) from exc
        return queryset


class InputLimitsAdmin:
    """Every admin form within the kernel's input limits (`portal.core.inputs`): dates and times between 1970 and
    2200 (UTC), JSON bounded and without NUL characters (text fields refuse NUL already: Django's
    ProhibitNullCharactersValidator); changelist filters that cannot end in a server error."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.JSONField):
            kwargs.setdefault("form_class", BoundedJSONFormField)
        return within_input_limits(super().formfield_for_dbfield(db_field, request, **kwargs))

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ServiceModelAdmin(InputLimitsAdmin, DeleteRefusalMixin, ConfidentialFieldsAdmin, SimpleHistoryAdmin):
    form = ServiceModelForm
    actions = ["delete_selected"]
    # The update that retires a row, offered instead of a refused delete by the `retire_selected` action (a subclass
    # lists the action and sets `delete_alternative = "retire_selected"`).
    retire_changes: dict = {}

    # Reverting from the history page would write without the services; history is for reading here.
    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- forms: a refusal after validation comes back as a form error --------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, _REFUSAL, None)
        if refusal is not None:
            form = type(form.__name__, (form,), {"service_refusal": refusal})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The submission was rolled back as a whole; show it again with the service's reason.
            setattr(request, _REFUSAL, refused.error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    # --- saves ------------------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        writes = writes_for(self.model)
        if change:
            # The services compare with the row's current values, so they get a fresh copy, not the form's.
            fresh = self.model._default_manager.get(pk=obj.pk)
            saved = writes.do_update(actor=request.user, instance=fresh, changes=changed_values(form))
        else:
            saved = writes.do_create(actor=request.user, data=form_values(form))
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        # No `form.save_m2m()`: many-to-many fields went to the service together with the row.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        """Save each inline row through its service: deletions first, then changes, then new rows."""
        writes = writes_for(formset.model)
        model = formset.model
        fk_name = getattr(getattr(formset, "fk", None), "name", None)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = formset.deleted_forms
        for row in deleted:
            if row.instance.pk is not None:
                writes.do_delete(actor=request.user, instance=model._default_manager.get(pk=row.instance.pk))
                formset.deleted_objects.append(row.instance)
        changed = [row for row in formset.initial_forms if row not in deleted and row.has_changed()]
        if isinstance(formset, ServiceInlineFormSet):
            changed = formset.ordered_for_update(changed)
        for row in changed:
            changes = changed_values(row, exclude=[fk_name])
            if changes:
                fresh = model._default_manager.get(pk=row.instance.pk)
                formset.changed_objects.append(
                    (writes.do_update(actor=request.user, instance=fresh, changes=changes), list(changes))
                )
        for row in formset.extra_forms:
            if row.has_changed() and row not in deleted:
                saved = writes.do_create(actor=request.user, data=form_values(row))
                adopt(row.instance, saved)
                formset.new_objects.append(saved)

    # --- deletes ----------------------------------------------------------------------------------------

    def delete_refusal(self, request, obj):
        return writes_for(self.model).delete_refusal(instance=obj)

    def delete_model(self, request, obj):
        writes_for(self.model).do_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:  # refused after the page was shown (a concurrent change)
            self.message_user(request, f"Not deleted: {refused.message}", messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    @admin.action(permissions=["change"], description=gettext_lazy("Retire selected %(verbose_name_plural)s"))
    def retire_selected(self, request, queryset):
        """Retire instead of deleting: the rows stay, with their records and history (one update service call each,
        in one transaction: a refusal retires nothing and says why)."""
        writes = writes_for(self.model)
        rows = list(self.model._default_manager.filter(pk__in=[obj.pk for obj in queryset]))
        try:
            with transaction.atomic():
                for row in rows:
                    writes.do_update(actor=request.user, instance=row, changes=dict(self.retire_changes))
        except ServiceRefused as refused:
            self.message_user(request, f"Nothing was retired: {refused.message}", messages.ERROR)
            return None
        names = ", ".join(str(row) for row in rows)
        self.message_user(request, f"Retired: {names}. They keep their records and history.", messages.SUCCESS)
        return None


class ServiceInline(InputLimitsAdmin, ConfidentialFieldsAdmin, admin.TabularInline):
    """An inline whose rows `ServiceModelAdmin.save_formset` writes through the services."""

    formset = ServiceInlineFormSet
    extra = 0
    show_change_link = False


class ReadOnlyAdmin(InputLimitsAdmin, ConfidentialFieldsAdmin, admin.ModelAdmin):
    """Reference data and the append-only timeline: everybody with the view permission reads, nobody writes."""

    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
