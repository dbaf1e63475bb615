"""Signals incidents send so that higher apps can react without incidents importing them.

`incident_changed` is sent inside the writing transaction after an incident was opened or its facts changed
(`fields` names them; `created` is true on open). The reporting app recomputes the regulatory obligations on it.
"""

from django.dispatch import Signal

incident_changed = Signal()  # kwargs: incident, actor, fields (list[str]), created (bool)
