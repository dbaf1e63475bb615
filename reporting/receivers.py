"""Reactions to lower apps' signals: recompute obligations when an incident's facts change."""

from django.dispatch import receiver

from incidents.signals import incident_changed

# The incident fields the regulatory clock reads; a change to any other field leaves the obligations as they are.
CLOCK_FIELDS = {
    "aware_at", "detected_at", "occurred_at", "jurisdictions", "harms", "personal_data_involved",
    "data_subjects_affected", "systems",
}


@receiver(incident_changed, dispatch_uid="reporting.obligations_on_incident_change")
def obligations_on_incident_change(sender, *, incident, actor, fields, created, **kwargs):
    from reporting.services.obligations import obligations_sync

    relevant = sorted(CLOCK_FIELDS & set(fields))
    if created or relevant:
        obligations_sync(actor=actor, incident=incident,
                         reason="incident opened" if created else f"incident changed: {', '.join(relevant)}")
