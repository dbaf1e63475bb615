"""System checks of the portal's trust set-up, run with `manage.py check --deploy`:

- `portal.W001`: no audit signing key (AUDIT_SIGNING_KEY_FILE) or no checkpoint directory (AUDIT_CHECKPOINT_DIR):
  checkpoints and audit bundles cannot be signed;
- `portal.W002`: on PostgreSQL, the portal serves with the role that owns its tables (DATABASE_URL and
  MIGRATION_DATABASE_URL name the same role), which can rewrite history.
"""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import connections


@register(Tags.security, deploy=True)
def audit_signing(app_configs, **kwargs):
    from portal.core.auditchain import checkpoints

    problems = []
    try:
        checkpoints.signing_key()
    except checkpoints.CheckpointError as exc:
        problems.append(Warning(str(exc), hint="Create one with `manage.py audit_signing_key --create FILE`.",
                                id="portal.W001"))
    if not getattr(settings, "AUDIT_CHECKPOINT_DIR", ""):
        problems.append(Warning("AUDIT_CHECKPOINT_DIR is not set: signed checkpoints have nowhere to go.",
                                hint="A directory outside the database, copied to write-once storage.",
                                id="portal.W001"))
    return problems


@register(Tags.database, Tags.security, deploy=True)
def database_roles(app_configs, **kwargs):
    from portal.core import dbroles

    if connections["default"].vendor != "postgresql" or dbroles.separate_roles():
        return []
    return [Warning(
        "The portal serves with the database role that owns its tables, which can rewrite or truncate history.",
        hint="Set DATABASE_URL to a runtime role and MIGRATION_DATABASE_URL to the owner, then `manage.py "
             "db_grants --create-role` (README, 'Database roles').", id="portal.W002")]
