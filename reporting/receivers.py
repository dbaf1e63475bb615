"""Reactions to lower apps' signals: recompute obligations when an incident's facts change, or the facts of an AI
system or its component links that the incidents involving it are evaluated with."""

from django.dispatch import receiver

from incidents.models import Incident
from incidents.signals import incident_changed
from inventory.signals import ai_system_changed
from portal.core.display import field_labels

# The incident fields the regulatory clock reads; a change to any other field leaves the obligations as they are.
CLOCK_FIELDS = {
    "aware_at", "detected_at", "occurred_at", "jurisdictions", "harms", "personal_data_involved",
    "data_subjects_affected", "systems",
}


@receiver(incident_changed, dispatch_uid="reporting.obligations_on_incident_change")
def obligations_on_incident_change(sender, *, incident, actor, fields, created, links=None, **kwargs):
    from reporting.services.obligations import obligations_sync, obligations_sync_opened

    relevant = sorted(CLOCK_FIELDS & set(fields))
    if created and links is not None:  # a new incident, with the systems and jurisdictions it was opened with
        obligations_sync_opened(actor=actor, incident=incident, systems=links["systems"],
                                jurisdictions=links["jurisdictions"])
    elif created or relevant:
        reason = "incident opened" if created else f"incident changed: {field_labels(Incident, relevant)}"
        obligations_sync(actor=actor, incident=incident, reason=reason)


@receiver(ai_system_changed, dispatch_uid="reporting.obligations_on_ai_system_change")
def obligations_on_ai_system_change(sender, *, system, actor, fields, changes, components=(), **kwargs):
    """Every open incident that involves the system (or one of the components whose link changed) is recomputed
    in the same transaction, with the rules of a change to the incident, in a bounded number of queries."""
    from incidents.selectors import incidents_open_involving
    from reporting.services.obligations import obligations_sync_many

    what = "; ".join(f"{name} ({changes[name]})" for name in fields)
    obligations_sync_many(
        actor=actor, incidents=incidents_open_involving(system=system, components=components),
        reason=f"AI system {system} changed: {what}",
        cause={"system": system.pk, "fields": list(fields), "components": list(components)},
    )
