"""The regulatory clock: pure Python, no ORM. Which notifications an incident owes, to whom, and by when.

    facts = parse_facts(mapping)     # -> Facts; raises FactsError (.errors: {key: message})
    specs = evaluate(facts)          # -> list[ObligationSpec], sorted by due_at (None last), then key

The rules are data (`reporting/regimes/*.yaml`), each citing its provision and source. The clock supports legal
judgement; it does not replace it.
"""

from reporting.clock.evaluator import ObligationSpec, evaluate
from reporting.clock.facts import (
    AFTER_AWARENESS_KEYS,
    DORA_ENTITY_TYPES,
    GDPR_ROLES,
    HARMS,
    HIGH_RISK_CLASSES,
    HIPAA_ROLES,
    KNOWN_KEYS,
    OPERATOR_ROLES,
    OTHER_HARMS,
    RISK_CLASSES,
    RISK_LEVELS,
    SERIOUS_HARMS,
    Facts,
    FactsError,
    parse_facts,
)
from reporting.clock.model import ContentItem, Regime, Stage
from reporting.clock.regimes import CONTENT_SOURCES, RegimeFileError, load_regimes, reference_data_version

__all__ = [
    "AFTER_AWARENESS_KEYS",
    "CONTENT_SOURCES",
    "DORA_ENTITY_TYPES",
    "GDPR_ROLES",
    "HARMS",
    "HIGH_RISK_CLASSES",
    "HIPAA_ROLES",
    "KNOWN_KEYS",
    "OPERATOR_ROLES",
    "OTHER_HARMS",
    "RISK_CLASSES",
    "RISK_LEVELS",
    "SERIOUS_HARMS",
    "ContentItem",
    "Facts",
    "FactsError",
    "ObligationSpec",
    "Regime",
    "RegimeFileError",
    "Stage",
    "evaluate",
    "load_regimes",
    "parse_facts",
    "reference_data_version",
]
