"""The demo's remediation ledger: the loan decisions the credit model's drift touched, imported from the lending
system's export and worked through re-review, redress and notice, all through the ledger's services.

A few hundred records: 300 loan decisions and the 60 applicants to be told, imported in one file (one import record
and one timeline event), then about 50 decisions moved along their states (each move one history row and one
timeline event, as a reviewer's work leaves them). The incident's page then counts decisions from the ledger, its
panel and the dashboard show the states, and a post-incident report issued for it gives the totals.
"""

import random
import tempfile
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from incidents.models import Incident
from inventory.models import Component
from portal.demo.clock import recorded_at
from remediation.models import AffectedRecord
from remediation.services import affected_record_move, affected_records_import
from remediation.states import State

INCIDENT = "Credit model drift after bureau format change"
DECISIONS, APPLICANTS = 300, 60
# How many decisions end in each state, and the moves that take one there from identified.
WORKED = {
    State.UNDER_RE_REVIEW: (9, (State.UNDER_RE_REVIEW,)),
    State.UPHELD: (4, (State.UNDER_RE_REVIEW, State.UPHELD)),
    State.REVERSED: (4, (State.UNDER_RE_REVIEW, State.REVERSED)),
    State.REDRESS_OFFERED: (6, (State.UNDER_RE_REVIEW, State.REVERSED, State.REDRESS_OFFERED)),
    State.REDRESS_ACCEPTED: (5, (State.UNDER_RE_REVIEW, State.REVERSED, State.REDRESS_OFFERED,
                                 State.REDRESS_ACCEPTED)),
    State.REDRESS_DECLINED: (2, (State.UNDER_RE_REVIEW, State.REVERSED, State.REDRESS_OFFERED,
                                 State.REDRESS_DECLINED)),
    State.NOTIFIED: (7, (State.UNDER_RE_REVIEW, State.UPHELD, State.NOTIFIED)),
    State.CLOSED: (10, (State.UNDER_RE_REVIEW, State.UPHELD, State.CLOSED)),
}


def _rows(incident, rng) -> str:
    component = Component.objects.filter(name="credit-risk-gbm", version="7.1").values_list("pk", flat=True).first()
    start = incident.detected_at - timedelta(days=21)
    lines = ["external_id,kind,subject_ref,jurisdiction,contact_channel,occurred_at,system,component"]
    for i in range(DECISIONS):
        at = start + timedelta(minutes=rng.randrange(21 * 24 * 60))
        lines.append(f"LOAN-2026-{40113 + i * 7},decision,APPL-{rng.randrange(10**6):06d},"
                     f"{rng.choice(('DE', 'DE', 'DE', 'IE'))},{rng.choice(('email', 'email', 'post', 'in_app'))},"
                     f"{at:%Y-%m-%dT%H:%M:%SZ},credit-scoring,{component or ''}")
    for i in range(APPLICANTS):
        lines.append(f"APPL-NOTICE-{i + 1:04d},person,APPL-{rng.randrange(10**6):06d},"
                     f"{rng.choice(('DE', 'IE'))},{rng.choice(('email', 'post'))},,credit-scoring,")
    return "\n".join(lines) + "\n"


def load_ledger(*, users) -> int:
    """Import and work the ledger of the credit-drift incident; the number of records created (0 when the incident
    is missing or already has its ledger)."""
    incident = Incident.objects.filter(title=INCIDENT).first()
    if incident is None or AffectedRecord.objects.filter(incident=incident).exists():
        return 0
    rng = random.Random(15)  # noqa: S311  # nosec B311  # demo data, not security
    responder, compliance = users["responder"], users["compliance"]
    moment = min(incident.detected_at + timedelta(days=2), timezone.now() - timedelta(hours=6))
    with tempfile.TemporaryDirectory() as folder, recorded_at(moment):
        path = Path(folder) / "lending-decisions-affected.csv"
        path.write_text(_rows(incident, rng), encoding="utf-8")
        result = affected_records_import(actor=responder, incident=incident, path=path)
    decisions = list(AffectedRecord.objects.filter(incident=incident, kind="decision").order_by("id"))
    rng.shuffle(decisions)
    step = (timezone.now() - timedelta(hours=1) - moment) / (sum(n for n, _ in WORKED.values()) + 1)
    for state, (count, moves) in WORKED.items():
        actor = compliance if state in (State.NOTIFIED, State.CLOSED) else responder
        for record in decisions[:count]:
            moment += step
            with recorded_at(moment):
                for to in moves:
                    affected_record_move(actor=actor, record=record, to=to, expected_version=record.version)
        decisions = decisions[count:]
    return result.created
