"""Users are deactivated, not deleted, once any record names them.

A user named by a record (an incident's commander, a containment action's performer, a disclosure decision's
decider, the acting user of a history row, a RACI assignment or escalation step, an API token, a team membership,
an admin log entry ...) cannot be deleted. The delete would either fail on a protected foreign key or change
records silently: API tokens and admin log entries would go with the user, team memberships would disappear
without a history row, `risk_assessed_by` and event actors would become empty. The refusal names what refers to
the user and offers deactivation instead: an inactive user cannot sign in and their API tokens stop working, while
every record keeps naming them.

The references are found by walking every relation to the user model, so a new model that names users is covered
without being listed here: one query per model and field that refers to users (history tables: one per table).
The user model's own many-to-many tables (groups, permissions) are not references: a role is not a record.

The auth user has no history table: a deactivation is recorded as an admin log entry (who, when, which user), shown
on the user's history page in the admin.
"""

from collections import defaultdict

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from portal.core.references import Referrers, found, label_for, refusal

DEACTIVATE = ("deactivate the user instead (Active: off): they can no longer sign in or use their API tokens, and "
              "every record keeps naming them")
DEACTIVATED = "Deactivated (Active: off) instead of deleted: can no longer sign in or use API tokens."


def _is_history(model) -> bool:
    return getattr(model, "instance_type", None) is not None


def user_relations() -> dict[type, list[str]]:
    """{model: [field names]} of every model with a foreign key or many-to-many field to users."""
    relations = defaultdict(list)
    for rel in get_user_model()._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete:
            continue
        model = rel.related_model
        if model._meta.auto_created:  # a many-to-many table: its relation is listed itself (or is the user's own)
            continue
        relations[model].append(rel.field.name)
    return relations


def user_referrers(user) -> list[Referrers]:
    """Every kind of record that names `user`, history rows grouped by table."""
    found_, history = [], []
    for model, names in sorted(user_relations().items(), key=lambda item: item[0]._meta.label):
        if _is_history(model):
            condition = Q()
            for name in names:
                condition |= Q(**{name: user})
            count = model._base_manager.filter(condition).count()
            if count:
                history.append(f"{model.instance_type._meta.verbose_name_plural} ({count})")
            continue
        label = label_for(model)
        for name in names:
            rows = model._base_manager.filter(**{name: user})
            what = f"{model._meta.verbose_name_plural} ({model._meta.get_field(name).verbose_name})"
            if label is not None:
                found_.append(found(f"{what} {label.of}".strip(), rows, label.path))
            elif count := rows.count():
                found_.append(Referrers(f"{what}:", (str(count),)))
    found_.append(Referrers("history rows of", tuple(history)))
    return [ref for ref in found_ if ref]


def user_delete_check(*, user) -> None:
    """Refuse the delete of a user that any record names, naming the records and offering deactivation."""
    referring = user_referrers(user)
    if referring:
        raise refusal(f"User '{user.get_username()}' is named by", referring, DEACTIVATE)


@transaction.atomic
def user_delete(*, actor, user) -> None:
    """Delete a user nothing refers to (one created by mistake); any other is refused (`user_delete_check`)."""
    user_delete_check(user=user)
    user.delete()


@transaction.atomic
def user_deactivate(*, actor, user) -> bool:
    """Deactivate `user` (they can no longer sign in; their API tokens stop working) and record who did it and when
    as an admin log entry. Returns False when the user was inactive already. Nobody deactivates themselves: the
    portal would be left without the person who could undo it."""
    if actor is not None and user.pk == actor.pk:
        raise ValidationError({"is_active": "You cannot deactivate your own account; ask another superuser."})
    if not user.is_active:
        return False
    user.is_active = False
    user.save(update_fields=["is_active"])
    LogEntry.objects.log_actions(user_id=actor.pk, queryset=[user], action_flag=CHANGE, change_message=DEACTIVATED,
                                 single_object=True)
    return True
