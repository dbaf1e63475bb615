"""The incident admin, one module per subject; importing this package registers every page."""

from incidents.admin.incidents import IncidentAdmin, SlaStateFilter
from incidents.admin.inlines import (
    ChecklistInline,
    ContainmentAddInline,
    ContainmentInline,
    EvidenceAddInline,
    EvidenceInline,
    RecoveryValidationInline,
    ReviewInline,
)
from incidents.admin.reference import (
    AtlasTechniqueAdmin,
    CsfCategoryAdmin,
    EvidenceAdmin,
    OwaspRiskAdmin,
    RunbookAdmin,
    RunbookStepAdmin,
    SlaNoticeAdmin,
    TimelineEventAdmin,
)

__all__ = [
    "AtlasTechniqueAdmin",
    "ChecklistInline",
    "ContainmentAddInline",
    "ContainmentInline",
    "CsfCategoryAdmin",
    "EvidenceAddInline",
    "EvidenceAdmin",
    "EvidenceInline",
    "IncidentAdmin",
    "OwaspRiskAdmin",
    "RecoveryValidationInline",
    "ReviewInline",
    "RunbookAdmin",
    "RunbookStepAdmin",
    "SlaNoticeAdmin",
    "SlaStateFilter",
    "TimelineEventAdmin",
]
