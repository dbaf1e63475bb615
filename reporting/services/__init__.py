"""Every write to reporting goes through these functions."""

from reporting.services.disclosure import (
    disclosure_approve,
    disclosure_record,
    disclosure_return,
    disclosure_update,
)
from reporting.services.documents import document_issue, document_verify
from reporting.services.facts import clock_facts, regulatory_facts_update
from reporting.services.obligations import (
    SyncResult,
    obligation_content_update,
    obligation_mark_not_applicable,
    obligation_reopen,
    obligation_submit,
    obligations_sync,
)
from reporting.services.reminders import obligation_reminders_check

__all__ = [
    "SyncResult",
    "clock_facts",
    "disclosure_approve",
    "disclosure_record",
    "disclosure_return",
    "disclosure_update",
    "document_issue",
    "document_verify",
    "obligation_content_update",
    "obligation_mark_not_applicable",
    "obligation_reminders_check",
    "obligation_reopen",
    "obligation_submit",
    "obligations_sync",
    "regulatory_facts_update",
]
