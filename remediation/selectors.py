"""Selecting affected records by a filter given in words: the same filter for the admin's list, the API and the
bulk changes (which may apply to every record a filter matches, not just one page).

A filter is a dict of these keys, each a text value as a query string gives it:

- incident: the incident's id; state, kind: one of their values (several comma-separated);
- jurisdiction: a two-letter code; contact_channel: one of its values;
- system: an AI system's id; component: a component's id (the system version that produced the record);
- reviewer: a user's id, "me" (the acting user's queue) or "none" (records nobody reviews yet);
- import_batch: an import's id; external_id: the exact identifier in the source system; external_id_prefix: the
  identifiers that start with it (the admin list's search).

`clean_filters` refuses an unknown key or a bad value naming the key; `ledger_records` gives the queryset.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db.models import Q

from remediation.models import AffectedRecord, ContactChannel, Kind
from remediation.states import State

KEYS = ("incident", "state", "kind", "jurisdiction", "contact_channel", "system", "component", "reviewer",
        "import_batch", "external_id", "external_id_prefix")
_CHOICES = {"state": State.values, "kind": Kind.values, "contact_channel": ContactChannel.values}
_IDS = ("incident", "system", "component", "import_batch")
MAX_ID = 2**63 - 1


def _id(key: str, text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise ValidationError({key: f"{text[:40]!r} is not an id (a positive whole number)."}, code="invalid")
    return int(text)


def clean_filters(raw: Mapping, *, actor=None) -> dict:
    """The filter `raw` checked: {key: value or tuple of values}. Empty values are dropped. Raises ValidationError
    naming the key for an unknown key or a bad value."""
    clean, problems = {}, {}
    for key, value in raw.items():
        if key not in KEYS:
            problems[key] = f"Unknown filter {key!r}; the filters are {', '.join(KEYS)}."
            continue
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str | int) or isinstance(value, bool):
            problems[key] = "Give the filter's value as text."
            continue
        text = str(value).strip()
        if not text:
            continue
        if "\x00" in text or len(text) > 200:
            problems[key] = "The value is not a valid filter value (at most 200 characters, no NUL)."
            continue
        try:
            if key in _CHOICES:
                values = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
                if bad := [v for v in values if v not in _CHOICES[key]]:
                    raise ValidationError({key: f"{', '.join(map(repr, bad))} is not one of "
                                                f"{', '.join(_CHOICES[key])}."})
                clean[key] = values
            elif key in _IDS:
                clean[key] = _id(key, text)
            elif key == "reviewer":
                if text == "me":
                    if actor is None or not getattr(actor, "pk", None):
                        raise ValidationError({key: "'me' needs a signed-in user."})
                    clean[key] = actor.pk
                else:
                    clean[key] = None if text == "none" else _id(key, text)
            elif key == "jurisdiction":
                if len(text) != 2 or not text.isascii() or not text.isalpha():
                    raise ValidationError({key: f"{text!r} is not a two-letter country code."})
                clean[key] = text.upper()
            else:
                clean[key] = text
        except ValidationError as exc:
            problems.update(exc.message_dict)
    if problems:
        raise ValidationError(problems, code="invalid")
    return clean


def filter_q(clean: Mapping) -> Q:
    """The `Q` of a cleaned filter."""
    q = Q()
    for key, value in clean.items():
        if key in _CHOICES:
            q &= Q(**{f"{key}__in": value}) if len(value) > 1 else Q(**{key: value[0]})
        elif key in _IDS or key == "reviewer":
            q &= Q(**{f"{key}_id": value}) if value is not None else Q(**{f"{key}__isnull": True})
        elif key == "external_id_prefix":
            q &= Q(external_id__startswith=value)
        else:
            q &= Q(**{key: value})
    return q


def ledger_records(clean: Mapping, queryset=None):
    """The affected records a cleaned filter selects."""
    queryset = AffectedRecord.objects.all() if queryset is None else queryset
    return queryset.filter(filter_q(clean))


def _names(clean: Mapping) -> dict:
    """The words for the ids a filter names: the incident's reference, the reviewer's name, the system's name, the
    component's name and version, the import's file (one query each, only for the ids present)."""
    from django.contrib.auth import get_user_model

    from incidents.models import Incident
    from inventory.models import AISystem, Component
    from portal.core.display import person
    from remediation.models import AffectedRecordImport

    names = {}
    if clean.get("incident"):
        names["incident"] = Incident.objects.filter(pk=clean["incident"]).values_list("reference", flat=True).first()
    if clean.get("reviewer"):
        names["reviewer"] = person(get_user_model().objects.filter(pk=clean["reviewer"]).first()) or None
    if clean.get("system"):
        names["system"] = AISystem.objects.filter(pk=clean["system"]).values_list("name", flat=True).first()
    if clean.get("component"):
        component = Component.objects.filter(pk=clean["component"]).values("name", "version").first()
        names["component"] = (f"{component['name']} {component['version']}".strip() if component else None)
    if clean.get("import_batch"):
        names["import_batch"] = AffectedRecordImport.objects.filter(pk=clean["import_batch"]).values_list(
            "file_name", flat=True).first()
    return names


LABELS = {"import_batch": "import", "external_id_prefix": "external id beginning with"}


def describe_filters(clean: Mapping) -> str:
    """The filter in words, for a confirmation, a job's page and a timeline event:
    "incident: AIIR-2026-0001; state: identified, under re-review; reviewer: none"."""
    if not clean:
        return "every affected record"
    names = _names(clean)
    parts = []
    for key, value in clean.items():
        if isinstance(value, tuple):
            value = ", ".join(State(v).label if key == "state" else v for v in value)
        elif value is None:
            value = "none"
        elif names.get(key):
            value = f"{names[key]} (id {value})" if key != "incident" else names[key]
        parts.append(f"{LABELS.get(key, key.replace('_', ' '))}: {value}")
    return "; ".join(parts)
