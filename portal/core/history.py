"""The one history wrapper every regulated model uses.

`RegulatedHistory()` is `HistoricalRecords` with the audit fields the portal adds to every history row: where the
write came from (`history_source`) and the hash chain (`chain_prev`, `chain_hash`, see `portal.core.auditchain`).
The many-to-many snapshot tables simple-history keeps get the chain fields too. A history row is chained as it is
inserted (single rows in `save()`, batches in the manager's `bulk_create`), never updated afterwards; history rows
refuse `save()` of an existing row, `delete()` and queryset `update()`/`delete()`.

The acting user on a history row is protected (`on_delete=PROTECT`): deleting a user with history would rewrite
history rows. Users are deactivated, not deleted.

Writes go through `save_tracked` / `delete_tracked`, which name the acting user on the history row; bulk writes
(`bulk_create` / `bulk_update` of many rows in one service call) through `history_in_bulk`, which writes their
history rows in one chained batch.
"""

from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, router, transaction
from simple_history.models import HistoricalRecords

from portal.core.audit import Source

APPEND_ONLY = "history rows are append-only"


class AppendOnlyQuerySet(models.QuerySet):
    """Rows are added, never changed or removed: queryset `update()` and `delete()` raise."""

    def update(self, **kwargs):
        raise TypeError(APPEND_ONLY)

    def delete(self):
        raise TypeError(APPEND_ONLY)

    delete.queryset_only = True


class AppendOnly(models.Model):
    """A model whose rows are never saved twice or deleted (history rows, chain heads)."""

    objects = models.Manager.from_queryset(AppendOnlyQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(APPEND_ONLY)
        super().save(*args, **kwargs)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        raise TypeError(APPEND_ONLY)


class ChainedHistoryQuerySet(AppendOnlyQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        from portal.core import auditchain

        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise TypeError(f"{APPEND_ONLY}: bulk_create with conflict handling cannot be chained")
        objs = list(objs)
        return auditchain.append_many(
            self.model, objs, using=self.db, insert=lambda: super(ChainedHistoryQuerySet, self).bulk_create(
                objs, *args, **kwargs))


class HistoryChainFields(models.Model):
    """The link of a history row in its table's hash chain: the previous row's hash and this row's."""

    chain_prev = models.CharField(max_length=64, blank=True, default="", editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = models.Manager.from_queryset(ChainedHistoryQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        from portal.core import auditchain

        if not self._state.adding:
            raise TypeError(APPEND_ONLY)
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        auditchain.append(self, using=using, insert=lambda: super(HistoryChainFields, self).save(*args, **kwargs))

    save.alters_data = True

    def delete(self, *args, **kwargs):
        raise TypeError(APPEND_ONLY)


class HistoryAuditFields(HistoryChainFields):
    history_source = models.CharField(max_length=16, choices=Source.CHOICES, default=Source.SERVICE)

    class Meta:
        abstract = True


class RegulatedHistoricalRecords(HistoricalRecords):
    """`HistoricalRecords` whose history row, its many-to-many snapshot rows and their chain links are written in
    one transaction, and whose acting user cannot be deleted from under the history."""

    def create_historical_record(self, instance, history_type, using=None):
        db = using or router.db_for_write(type(instance), instance=instance)
        with transaction.atomic(using=db, savepoint=False):
            super().create_historical_record(instance, history_type, using=using)

    def _get_history_user_fields(self):
        if self.user_id_field is not None:
            return super()._get_history_user_fields()
        return {
            "history_user": models.ForeignKey(
                self.user_model or getattr(settings, "AUTH_USER_MODEL", "auth.User"),
                null=True,
                related_name=self.user_related_name,
                on_delete=models.PROTECT,
                db_constraint=self.user_db_constraint,
            )
        }


RegulatedHistory = partial(
    RegulatedHistoricalRecords,
    bases=[HistoryAuditFields],
    m2m_bases=[HistoryChainFields],
    cascade_delete_history=False,
)


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


def history_in_bulk(model, instances, *, actor, update=False) -> None:
    """The history rows of `instances` of `model`, just created (`update=False`, "+") or updated ("~") in bulk,
    naming `actor` and the current audit source, each row a copy of its instance as it is now.

    The rows are chained as one batch (`auditchain.append_rows`): one chain lock and one new head row for the whole
    batch, their hashes computed here, the rows inserted without model instances (COPY on PostgreSQL). Call it
    inside the transaction that wrote the instances.
    """
    from django.utils import timezone

    from portal.core import auditchain
    from portal.core.audit import current_source

    history = model.history.model
    tracked = [f.attname for f in history.tracked_fields]
    common = {
        "history_date": timezone.now(), "history_change_reason": None, "history_type": "~" if update else "+",
        "history_user_id": getattr(actor, "pk", None), "history_source": current_source(),
    }
    rows = [{**{name: getattr(obj, name) for name in tracked}, **common} for obj in instances]
    auditchain.append_rows(history, rows, using=router.db_for_write(history))


_history_models: dict = {}


def history_model(model):
    """The history model of a tracked `model`, looked up once (simple-history builds a new manager class on every
    `Model.history` access)."""
    found = _history_models.get(model)
    if found is None:
        found = _history_models[model] = model.history.model
    return found


def _history_values(history, instance, *, actor, history_type, history_date) -> dict:
    from portal.core.audit import current_source

    return {
        **{f.attname: getattr(instance, f.attname) for f in history.tracked_fields},
        "history_date": history_date, "history_change_reason": None, "history_type": history_type,
        "history_user_id": getattr(actor, "pk", None), "history_source": current_source(),
    }


def history_of_created(instance, *, actor, m2m=None, also=()) -> None:
    """The "+" history row of `instance`, just saved without one (`save_without_historical_record`), with the
    many-to-many snapshot rows simple-history would write for it and further batches of history rows written with
    it (`also`: `(history model, rows)` as `auditchain.append_batches` takes them), chained in one go: one lock
    statement, one head query, one insert per table, one insert of the new heads.

    `m2m` gives the rows of the instance's many-to-many `through` tables the caller created with it (field name ->
    saved through instances); a tracked many-to-many field not named is empty (the instance is new). The rows
    name `actor` and the current audit source, as `save_tracked` would. Call it inside the writing transaction.
    """
    from django.utils import timezone

    from portal.core import auditchain

    history = history_model(type(instance))
    values = _history_values(history, instance, actor=actor, history_type="+", history_date=timezone.now())
    batches = [(history, [values])]
    for field in getattr(history, "_history_m2m_fields", ()):
        through_rows = list((m2m or {}).get(field.name, ()))
        if not through_rows:
            continue
        snapshot = getattr(history, field.name).model
        through_fields = [f.attname for f in field.remote_field.through._meta.concrete_fields]

        def rows(inserted, through_rows=through_rows, through_fields=through_fields):
            history_id = inserted[history][0]
            return [{**{name: getattr(row, name) for name in through_fields}, "history_id": history_id}
                    for row in through_rows]

        batches.append((snapshot, rows))
    auditchain.append_batches([*batches, *also], using=router.db_for_write(history))


def history_rows_in_bulk(model, instances, *, actor, update=False) -> tuple:
    """`(history model, rows)`: the history rows `history_in_bulk` would write for `instances`, as a batch for
    `auditchain.append_batches` or `history_of_created(also=...)`."""
    from django.utils import timezone

    history = history_model(model)
    now = timezone.now()
    return history, [_history_values(history, obj, actor=actor, history_type="~" if update else "+",
                                     history_date=now) for obj in instances]
