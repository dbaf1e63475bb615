"""Helpers for remediation tests."""

import json

from django.utils import timezone

from incidents.tests.factories import open_incident
from portal.core.history import save_tracked
from remediation.models import AffectedRecord

CSV_HEADER = "external_id,kind,subject_ref,jurisdiction,contact_channel,occurred_at,system,component\n"


def affected_record(actor, *, incident=None, external_id="loan-1", kind="decision", **fields):
    """An affected record saved with its history row (as a later single-record service would)."""
    incident = incident or open_incident(actor)
    record = AffectedRecord(incident=incident, external_id=external_id, kind=kind, state_changed_at=timezone.now(),
                            state_changed_by=actor, **fields)
    return save_tracked(record, actor=actor)


def csv_file(tmp_path, *lines, name="records.csv"):
    path = tmp_path / name
    path.write_text(CSV_HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def jsonl_file(tmp_path, *rows, name="records.jsonl"):
    path = tmp_path / name
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows),
                    encoding="utf-8")
    return path
