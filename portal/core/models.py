"""Kernel models. `ChainHead` records the last link of each history table's hash chain (see `portal.core.auditchain`);
`ApiToken` is a scoped key for API integrations (see `portal.core.tokens`)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from portal.core.history import AppendOnly, RegulatedHistory


class ChainHead(AppendOnly):
    """One recorded head of one history table's chain: the table's last row (history id and hash) and its row count
    when the row was appended. Heads are append-only like the history: every append adds a head row, never updates
    one, so the table's newest head row is its current head and the older ones are the heads it had before (each
    must still match the row it names). On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE and the runtime
    role may only SELECT and INSERT here. Operators anchor the heads outside the database with signed checkpoints
    (`manage.py audit_checkpoint`)."""

    label = models.CharField(max_length=200, help_text="The history model, app_label.ModelName.")
    last_history_id = models.BigIntegerField(null=True, blank=True)
    last_hash = models.CharField(max_length=64, blank=True, default="")
    rows = models.BigIntegerField(default=0, help_text="Rows in the table once this head was appended.")
    recorded_at = models.DateTimeField(default=timezone.now)
    resealed = models.BooleanField(
        default=False, help_text="Recorded by a migration that re-sealed the chain after a schema change (ADR 0006): "
                                 "the heads recorded before it are not compared with the re-sealed rows.")

    class Meta:
        verbose_name = "history chain head"
        indexes = [models.Index(fields=["label", "-id"], name="core_chainhead_label_newest")]

    def __str__(self):
        return f"{self.label} #{self.last_history_id} {self.last_hash[:12]}"


class VerificationMode(models.TextChoices):
    FULL = "full", "full (every row recomputed)"
    INCREMENTAL = "incremental", "incremental (the rows after the last verified point)"


class ChainVerification(AppendOnly):
    """One verification run's result for one history table (`portal.core.auditchain.points`). A run that verifies
    records a **verified point**: the table's chain is intact up to `last_history_id` (whose hash is `last_hash`),
    which is row number `rows` of the table. The newest verified point of a table is where the next incremental run
    starts and what the audit pages trust for the rows before it. A run that finds a break records it (`ok` false,
    the first broken row and why) and moves no point. Append-only like the chain heads: a point is never moved back
    or rewritten, and on PostgreSQL the runtime role may only SELECT and INSERT here."""

    label = models.CharField(max_length=200, help_text="The history model, app_label.ModelName.")
    mode = models.CharField(max_length=20, choices=VerificationMode.choices)
    verified_at = models.DateTimeField(default=timezone.now)
    by = models.CharField(max_length=40, blank=True, default="",
                          help_text="What ran it: the schedule, the command, an audit bundle.")
    ok = models.BooleanField(default=True)
    from_history_id = models.BigIntegerField(
        null=True, blank=True, help_text="The verified point the run started from (empty: the first row).")
    last_history_id = models.BigIntegerField(null=True, blank=True, help_text="Verified up to this row.")
    last_hash = models.CharField(max_length=64, blank=True, default="")
    rows = models.BigIntegerField(default=0, help_text="Rows in the table up to and including the verified row.")
    checked_rows = models.BigIntegerField(default=0, help_text="Rows this run recomputed.")
    head_id = models.BigIntegerField(
        null=True, blank=True, help_text="The newest chain head row (core.ChainHead id) the run compared.")
    break_history_id = models.BigIntegerField(null=True, blank=True)
    break_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        verbose_name = "history chain verification"
        indexes = [models.Index(fields=["label", "-id"], name="core_chainverif_label_newest")]

    def __str__(self):
        state = "verified" if self.ok else f"BROKEN at #{self.break_history_id}"
        return f"{self.label} {state} up to #{self.last_history_id} ({self.mode})"


# --- API tokens ---------------------------------------------------------------------------------------------------
# A key an integration (a monitoring tool, a script) sends as `Authorization: Token <key>`. Only the SHA-256 of the
# key is stored, never the key; its first characters (`prefix`) identify it in lists. A token acts as its user (the
# user's role permissions apply) and its scopes narrow that further. Created and revoked by `portal.core.tokens`.


class TokenScope(models.TextChoices):
    READ = "read", "read (GET, HEAD, OPTIONS)"
    WRITE = "write", "write (POST, PUT, PATCH, DELETE)"
    ALERT_INTAKE = "alert_intake", "alert intake (POST /api/v1/alerts/)"


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
        help_text="The token acts as this user: the user's role permissions apply, narrowed by the scopes.",
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'Datadog alerts'.")
    prefix = models.CharField(max_length=16, editable=False, db_index=True,
                              help_text="The first characters of the key, to recognise it; the key is not stored.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, help_text="Any of: read, write, alert_intake.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   editable=False, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: the token does not expire.")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   editable=False, related_name="+")

    # `last_used_at` is bookkeeping, not a regulated fact: it is left out of history (see tokens.api_token_touch).
    history = RegulatedHistory(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def clean(self):
        if not isinstance(self.scopes, list) or not self.scopes:
            raise ValidationError({"scopes": "Give at least one scope: read, write or alert_intake."})
        unknown = sorted({str(s) for s in self.scopes} - set(TokenScope.values))
        if unknown:
            raise ValidationError({"scopes": f"Unknown scope {', '.join(unknown)}: use read, write or alert_intake."})
        if len(set(self.scopes)) != len(self.scopes):
            raise ValidationError({"scopes": "Each scope once."})

    @property
    def is_expired(self):
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self):
        return self.revoked_at is None and not self.is_expired

    def has_scope(self, scope):
        return scope in self.scopes


# --- jobs -----------------------------------------------------------------------------------------------------------
from portal.core.jobs.models import Job, JobState  # noqa: E402, F401  (the model lives with its services)
