"""Confidential fields: a field only some roles may read, declared once here with the roles cleared for it.

Every surface that shows a record or its history asks this module: the admin (change, view, list, search, filters,
history list and version pages: `portal.core.admin.ConfidentialFieldsAdmin`), the API (serializers and filter
backends: `portal.core.api`), the audit pages and bundle, the CSV and PDF documents and the exports. A reader who
is not cleared learns that the field exists and that it changed, never what it says: where a value would stand,
the surface shows `WITHHELD`, leaves the field out, or refuses a search or filter on it.

Records are named by model label (``"app_label.model_name"``, lower case), so the kernel knows no app. Superusers
hold every role and so are cleared for every field. Nobody (`user=None`) is cleared for anything: that is what a
document or an export made for outside readers asks with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured

from portal.core import roles

WITHHELD = "[withheld: confidential]"

# {model label: {field name: roles cleared to read it}}
CONFIDENTIAL: Mapping[str, Mapping[str, frozenset[str]]] = {
    "reporting.disclosuredecision": {
        # Counsel's privileged legal analysis, kept apart from the shareable summary.
        "privileged_analysis": frozenset({roles.COMPLIANCE_OFFICER, roles.LEGAL_REVIEWER}),
    },
    "remediation.affectedrecord": {
        # A pseudonymous reference to a person is still personal data (GDPR Recital 26): read by those who
        # remediate and notify, and by counsel; not by leadership or the auditor, who need the counts and states.
        "subject_ref": frozenset({roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER, roles.LEGAL_REVIEWER}),
    },
}

_ROLES_CACHE = "_confidential_roles"


def label_of(model) -> str:
    """The lower-case label of a model class, a model instance, a history model (the label of the model it
    records) or a label string."""
    if isinstance(model, str):
        return model.lower()
    meta = model._meta
    tracked = getattr(model, "instance_type", None)  # simple-history's historical model
    if tracked is not None:
        meta = tracked._meta
    concrete = meta.concrete_model or model
    return concrete._meta.label_lower


def confidential_fields(model) -> frozenset[str]:
    """Every confidential field of `model`, whoever reads."""
    return frozenset(CONFIDENTIAL.get(label_of(model), {}))


def cleared_roles(model, field: str) -> frozenset[str] | None:
    """The roles cleared to read `field` of `model`; None when the field is not confidential."""
    return CONFIDENTIAL.get(label_of(model), {}).get(field)


def reader_roles(user) -> frozenset[str]:
    """The roles `user` holds, read once per user object (one request), as Django caches permissions."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    held = getattr(user, _ROLES_CACHE, None)
    if held is None:
        held = frozenset(roles.user_roles(user))
        setattr(user, _ROLES_CACHE, held)
    return held


def may_read(user, model, field: str) -> bool:
    """Whether `user` may read `field` of `model` (every field that is not confidential: yes)."""
    cleared = cleared_roles(model, field)
    return cleared is None or bool(cleared & reader_roles(user))


def withheld_fields(user, model) -> frozenset[str]:
    """The fields of `model` that `user` may not read (`user=None`: every confidential field)."""
    declared = CONFIDENTIAL.get(label_of(model))
    if not declared:
        return frozenset()
    held = reader_roles(user)
    return frozenset(name for name, cleared in declared.items() if not cleared & held)


def scrub(values: Mapping, *, user, model) -> dict:
    """A copy of ``{field name: value}`` with the values `user` may not read replaced by `WITHHELD`."""
    hidden = withheld_fields(user, model)
    return {name: WITHHELD if name in hidden else value for name, value in values.items()}


def scrub_value(value, *, user, model, field: str):
    """`value` of `field`, or `WITHHELD` when `user` may not read it."""
    return value if may_read(user, model, field) else WITHHELD


def scrub_instance(obj, *, user):
    """Replace, on this in-memory object only, the values `user` may not read by `WITHHELD` (for display; never
    save it). Returns the object."""
    if obj is not None:
        for name in withheld_fields(user, obj):
            setattr(obj, name, WITHHELD)
    return obj


SEARCH_PREFIXES = "^=@$"


def path_withheld(model, path: str, user) -> bool:
    """Whether a query path from `model` (``"incident__disclosure_decisions__privileged_analysis__icontains"``, an
    admin or API search field such as ``"^name"``, an ordering such as ``"-name"``) reads a field `user` may not
    read, on `model` or on a model it reaches. A path naming no field of the model (an annotation) reads none."""
    current = model
    for part in path.lstrip(SEARCH_PREFIXES + "-").split("__"):
        if part in withheld_fields(user, current):
            return True
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False  # a lookup (icontains), a transform or an annotation: no further field is read
        related = getattr(field, "related_model", None)
        if related is None:
            return False
        current = related
    return False


def readable_paths(model, paths: Iterable[str], user) -> list[str]:
    """The query paths of `paths` that read nothing `user` may not read, in their order."""
    return [p for p in paths if not (isinstance(p, str) and path_withheld(model, p, user))]


def any_confidential_path(model, paths: Iterable[str]) -> list[str]:
    """The paths of `paths` that read a confidential field, for anyone not cleared for everything (`user=None`)."""
    return [p for p in paths if isinstance(p, str) and path_withheld(model, p, None)]


def shareable(record, names: Iterable[str]) -> dict:
    """``{name: value}`` of `names` on `record`, for what is made for readers outside the cleared roles (a
    document, an export, a bundle). Naming a confidential field here is a programming error, refused loudly."""
    names = list(names)
    if named := sorted(confidential_fields(record) & set(names)):
        raise ImproperlyConfigured(f"{label_of(record)}: {', '.join(named)} is confidential and may not go into "
                                   "a document or an export (portal.core.confidential).")
    return {name: getattr(record, name) for name in names}
