"""System checks of the portal's trust set-up.

Run by `manage.py check`, `migrate` and `runserver` (and by tests):
- the confidential-field declaration (`portal.core.confidential`) names real models, fields and roles, and every
  admin page and API view that could show, search, filter or sort by a confidential field goes through the kernel
  pieces that honour it (`core.E101`-`E107`): a new admin or endpoint that would bypass them stops the portal from
  starting, rather than leak.

Run with `manage.py check --deploy`:
- `portal.W001`: no audit signing key (AUDIT_SIGNING_KEY_FILE) or no checkpoint directory (AUDIT_CHECKPOINT_DIR):
  checkpoints and audit bundles cannot be signed;
- `portal.W002`: on PostgreSQL, the portal serves with the role that owns its tables (DATABASE_URL and
  MIGRATION_DATABASE_URL name the same role), which can rewrite history;
- `portal.W003`: no directory for the files jobs make (JOB_RESULT_DIR), or no broker (CELERY_BROKER_URL), so that
  jobs and the schedule would run inside the web processes.
"""

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
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


# --- production: signing and database roles ---------------------------------------------------------------------

@checks.register(checks.Tags.security, deploy=True)
def audit_signing(app_configs, **kwargs):
    from portal.core.auditchain import checkpoints

    problems = []
    try:
        checkpoints.signing_key()
    except checkpoints.CheckpointError as exc:
        problems.append(checks.Warning(str(exc), hint="Create one with `manage.py audit_signing_key --create FILE`.",
                                       id="portal.W001"))
    if not getattr(settings, "AUDIT_CHECKPOINT_DIR", ""):
        problems.append(checks.Warning("AUDIT_CHECKPOINT_DIR is not set: signed checkpoints have nowhere to go.",
                                       hint="A directory outside the database, copied to write-once storage.",
                                       id="portal.W001"))
    return problems


@checks.register(checks.Tags.database, checks.Tags.security, deploy=True)
def database_roles(app_configs, **kwargs):
    from portal.core import dbroles

    if connections["default"].vendor != "postgresql" or dbroles.separate_roles():
        return []
    return [checks.Warning(
        "The portal serves with the database role that owns its tables, which can rewrite or truncate history.",
        hint="Set DATABASE_URL to a runtime role and MIGRATION_DATABASE_URL to the owner, then `manage.py "
             "db_grants --create-role` (README, 'Database roles').", id="portal.W002")]


@checks.register(checks.Tags.security, deploy=True)
def background_jobs(app_configs, **kwargs):
    problems = []
    if not getattr(settings, "JOB_RESULT_DIR", ""):
        problems.append(checks.Warning(
            "JOB_RESULT_DIR is not set: jobs that make files (audit bundles, AIBOM imports) fail.",
            hint="A directory every web process and worker shares (README, 'Background jobs').", id="portal.W003"))
    if getattr(settings, "JOBS_EMBEDDED", False):
        problems.append(checks.Warning(
            "CELERY_BROKER_URL is not set: jobs run in threads of the web processes and each of them runs the "
            "schedule.", hint="Set it to Redis and run a Celery worker and beat (README, 'Production').",
            id="portal.W003"))
    return problems
