"""Signals the inventory sends so that higher apps can react without the inventory importing them.

`ai_system_changed` is sent inside the writing transaction after a change to an AI system that the regulatory
clock may read: one of `CLOCK_FIELDS` of the system, or its links to components (`"components"`). The reporting
app recomputes the obligations of the open incidents that involve the system or one of `components` on it.

kwargs:
- `system`: the AI system, as saved;
- `actor`: the acting user (or None for a system write);
- `fields`: the names of what changed (`CLOCK_FIELDS` members and/or `"components"`);
- `changes`: {name: what happened, readable}, e.g. "minimal -> high_risk_annex_iii" or "model-x 1.0 attached":
  the reason the affected incidents' timelines give;
- `components`: the ids of the components whose link to the system changed (empty when only fields changed).
"""

from django.dispatch import Signal

# The AI system fields the regulatory clock may read (directly, or as the Annex and data facts of the system).
CLOCK_FIELDS = (
    "risk_class", "annex_iii_area", "annex_i_product", "operator_role", "jurisdictions", "personal_data_categories",
)

ai_system_changed = Signal()  # kwargs: system, actor, fields, changes, components
