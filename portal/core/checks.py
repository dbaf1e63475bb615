"""System checks of the confidential-field declaration (`portal.core.confidential`), run by `manage.py check`,
`migrate` and `runserver` (and by a test): the declaration names real models, fields and roles; every admin page
and every API view that could show, search, filter or sort by a confidential field goes through the kernel pieces
that honour it. A new admin or endpoint that would bypass them stops the portal from starting, rather than leak.
"""

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.urls import URLPattern, URLResolver, get_resolver

from portal.core import confidential, roles


@checks.register(checks.Tags.security)
def check_declaration(app_configs=None, **kwargs):
    errors = []
    for label, fields in confidential.CONFIDENTIAL.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            errors.append(checks.Error(f"The confidential-field declaration names {label!r}, which is no model.",
                                       id="core.E101"))
            continue
        for name, cleared in fields.items():
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                errors.append(checks.Error(f"{label} has no field {name!r} to declare confidential.",
                                           id="core.E102"))
            if unknown := sorted(set(cleared) - set(roles.ROLES)):
                errors.append(checks.Error(f"{label}.{name} is cleared for unknown roles {unknown}.",
                                           id="core.E103"))
    return errors


def _names(*collections):
    for collection in collections:
        for item in collection or ():
            if isinstance(item, list | tuple):
                yield from (i for i in item if isinstance(i, str))
            elif isinstance(item, str):
                yield item


def _admin_problems(admin_class, model, where):
    from portal.core.admin import ConfidentialFieldsAdmin

    if issubclass(admin_class, ConfidentialFieldsAdmin):
        return []
    if confidential.confidential_fields(model):
        return [checks.Error(f"{where} shows {confidential.label_of(model)}, which has confidential fields, without "
                             "portal.core.admin.ConfidentialFieldsAdmin.", id="core.E104")]
    fieldsets = [f for _, options in (admin_class.fieldsets or ()) for f in options.get("fields", ())]
    static = _names(admin_class.search_fields if hasattr(admin_class, "search_fields") else (),
                    getattr(admin_class, "list_display", ()), getattr(admin_class, "list_filter", ()),
                    admin_class.fields, fieldsets, admin_class.readonly_fields, admin_class.ordering)
    if reaching := confidential.any_confidential_path(model, static):
        return [checks.Error(f"{where} reads confidential fields through {reaching} without "
                             "portal.core.admin.ConfidentialFieldsAdmin.", id="core.E105")]
    return []


@checks.register(checks.Tags.security, checks.Tags.admin)
def check_admin(app_configs=None, **kwargs):
    from django.contrib import admin

    errors = []
    for model, model_admin in admin.site._registry.items():
        errors += _admin_problems(type(model_admin), model, f"The admin of {model._meta.label}")
        for inline in model_admin.inlines:
            errors += _admin_problems(inline, inline.model, f"The inline {inline.__name__} of {model._meta.label}")
    return errors


def _views(resolver=None):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern)
        elif isinstance(pattern, URLPattern):
            cls = getattr(pattern.callback, "cls", None)
            if cls is not None:
                yield cls


def _serializer_models(serializer_class, seen):
    """The models a serializer class and the serializers nested in it (declared fields) represent."""
    from rest_framework import serializers

    if serializer_class is None or serializer_class in seen:
        return
    seen.add(serializer_class)
    model = getattr(getattr(serializer_class, "Meta", None), "model", None)
    if model is not None:
        yield serializer_class, model
    for field in getattr(serializer_class, "_declared_fields", {}).values():
        nested = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(nested, serializers.BaseSerializer):
            yield from _serializer_models(type(nested), seen)


@checks.register(checks.Tags.security)
def check_api(app_configs=None, **kwargs):
    """Every API view whose serializer represents a model with confidential fields uses
    `ConfidentialFieldsSerializer`; every API view over such a model filters, searches and sorts with the kernel's
    backends, and no other view searches or sorts by a path reaching a confidential field."""
    from django_filters.rest_framework import DjangoFilterBackend
    from rest_framework.filters import OrderingFilter, SearchFilter

    from portal.core import api

    errors, seen = [], set()
    aware = (api.ConfidentialFilterBackend, api.ConfidentialSearchFilter, api.ConfidentialOrderingFilter)
    plain = (DjangoFilterBackend, SearchFilter, OrderingFilter)
    for cls in _views():
        if cls in seen:
            continue
        seen.add(cls)
        for serializer_class, model in _serializer_models(getattr(cls, "serializer_class", None), set()):
            if confidential.confidential_fields(model) and not issubclass(
                    serializer_class, api.ConfidentialFieldsSerializer):
                errors.append(checks.Error(
                    f"{serializer_class.__name__} (API view {cls.__name__}) represents {model._meta.label}, which has "
                    "confidential fields, without portal.core.api.ConfidentialFieldsSerializer.", id="core.E106"))
        queryset = getattr(cls, "queryset", None)
        model = getattr(queryset, "model", None) or getattr(
            getattr(getattr(cls, "serializer_class", None), "Meta", None), "model", None)
        if model is None:
            continue
        backends = [b for b in getattr(cls, "filter_backends", ()) if issubclass(b, plain)]
        unaware = [b.__name__ for b in backends if not issubclass(b, aware)]
        reaching = confidential.any_confidential_path(
            model, _names(getattr(cls, "search_fields", ()),
                          [f for f in (getattr(cls, "ordering_fields", None) or ()) if f != "__all__"]))
        if unaware and (confidential.confidential_fields(model) or reaching):
            errors.append(checks.Error(
                f"API view {cls.__name__} filters {model._meta.label} with {unaware}, which do not honour the "
                "confidential fields: use portal.core.api.FILTER_BACKENDS.", id="core.E107"))
    return errors
