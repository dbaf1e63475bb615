"""The reporting admin, one module per subject; importing this package registers every page."""

from reporting.admin.disclosure import DisclosureDecisionAdmin
from reporting.admin.documents import DocumentAdmin
from reporting.admin.facts import RegulatoryFactsAdmin
from reporting.admin.incidents import IncidentReportingAdmin
from reporting.admin.obligations import DeadlineBoardAdmin, ObligationAdmin

__all__ = [
    "DeadlineBoardAdmin",
    "DisclosureDecisionAdmin",
    "DocumentAdmin",
    "IncidentReportingAdmin",
    "ObligationAdmin",
    "RegulatoryFactsAdmin",
]
