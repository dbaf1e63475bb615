"""Reporting models, one module per concern, re-exported here."""

from reporting.models.dashboard import DashboardSummaryRow, DashboardSummaryState
from reporting.models.disclosure import Audience, Decision, DisclosureDecision
from reporting.models.document import Document, DocumentKind
from reporting.models.facts import (
    DataSubjectCategory,
    DoraEntityType,
    GdprRole,
    HipaaRole,
    RegulatoryFacts,
    RiskToIndividuals,
)
from reporting.models.obligation import DeadlineBoardEntry, Obligation, ObligationNotice

__all__ = [
    "Audience",
    "DashboardSummaryRow",
    "DashboardSummaryState",
    "DataSubjectCategory",
    "DeadlineBoardEntry",
    "Decision",
    "DisclosureDecision",
    "Document",
    "DocumentKind",
    "DoraEntityType",
    "GdprRole",
    "HipaaRole",
    "Obligation",
    "ObligationNotice",
    "RegulatoryFacts",
    "RiskToIndividuals",
]
