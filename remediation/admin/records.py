"""The affected records of incidents in the admin."""

from django.contrib import admin

from remediation.models import AffectedRecord


@admin.register(AffectedRecord)
class AffectedRecordAdmin(admin.ModelAdmin):
    """Placeholder registration replaced by the ledger's list (the ledger helper's branch)."""
