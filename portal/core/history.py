"""The one history wrapper every regulated model uses.

`RegulatedHistory()` is `HistoricalRecords` with the audit fields the portal adds to every history row
(where the write came from). Later audit features (hash chaining) extend `HistoryAuditFields` in one place.
Writes go through `save_tracked` / `delete_tracked`, which name the acting user on the history row.
"""

from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from simple_history.models import HistoricalRecords

from portal.core.audit import Source


class HistoryAuditFields(models.Model):
    history_source = models.CharField(max_length=16, choices=Source.CHOICES, default=Source.SERVICE)

    class Meta:
        abstract = True


RegulatedHistory = partial(HistoricalRecords, bases=[HistoryAuditFields], cascade_delete_history=False)


def save_tracked(instance, *, actor, update_fields=None, validate=True):
    """Validate and save a tracked instance so that its history row names `actor`.

    Validation covers fields, `clean()` and constraints; a constraint that a concurrent writer got past first
    (IntegrityError) is turned into the same ValidationError, inside a savepoint so the caller's transaction
    stays usable.
    """
    if validate:
        instance.full_clean()
    instance._history_user = actor
    if update_fields is not None:
        auto = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
        update_fields = list(dict.fromkeys([*update_fields, *auto]))
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise ValidationError(f"The change conflicts with a concurrent change: {exc}") from exc
    return instance


def delete_tracked(instance, *, actor):
    """Delete a tracked instance; its deletion history row names `actor`."""
    instance._history_user = actor
    instance.delete()
