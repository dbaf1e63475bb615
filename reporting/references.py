"""How reporting records are named when a delete of a user they name is refused (`portal.core.users`): by the
reference of their incident. Reporting records refer to the inventory only through their incident, which is never
deleted, so they register no finder of their own (see `incidents.references`)."""

from portal.core.references import register_label
from reporting.models import DisclosureDecision, Document, Obligation, RegulatoryFacts


def register() -> None:
    for model in (Obligation, Document, DisclosureDecision, RegulatoryFacts):
        register_label(model, "incident__reference", "on incidents")
