"""Signals incidents send so that higher apps can react without incidents importing them.

`incident_changed` is sent inside the writing transaction after an incident was opened or its facts changed
(`fields` names them; `created` is true on open, with `links`: the AI systems and jurisdictions the new incident
was linked to, as instances, so that receivers need not read them back). The reporting app recomputes the
regulatory obligations on it.
"""

from django.dispatch import Signal

incident_changed = Signal()  # kwargs: incident, actor, fields (list[str]), created (bool), links (dict, on open)
