"""The audit bundle of an incident: every history row of the incident and of its sub-records, every timeline
event, the verification of the history chains and a signed checkpoint of every chain's head, as one CSV, one PDF
(with the same data embedded as JSON), or a signed archive of both.

`incident_bundle` gathers the data once as plain JSON; `bundle_csv` and `bundle_pdf` only lay it out, and
`bundle_archive` packs them with the checkpoint, the public key and a signed list of SHA-256 sums, so that legal
can verify the bundle offline with openssl and sha256sum (README, "Verifying offline"). The privileged legal
analysis of disclosure decisions is never part of a bundle (the change is listed, the value withheld). The chains
are verified per history table of the kinds of record in the bundle (`verify_chain`); the checkpoint, taken when
the bundle is made and also kept in AUDIT_CHECKPOINT_DIR, anchors every chain's head outside the database.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from datetime import datetime

from django.utils import timezone

from incidents.models import Incident
from portal.core.auditchain import checkpoints
from portal.core.spreadsheet import cell
from reporting.audit import diff, selectors
from reporting.pdf import render_pdf
from reporting.services.documents import incident_context

SCHEMA = "ai-incident-governance-portal/audit-bundle/1"
TEMPLATE = "reporting/pdf/v2/audit_bundle.html"
# In the PDF a long value (a stored render context, a regime's content list) is cut here; the attachment has it all.
PDF_VALUE_CHARS = 600

CSV_COLUMNS = ("section", "model", "object_id", "object", "history_id", "change_type", "at_utc", "user", "source",
               "changed_fields", "changes", "chain_hash", "summary", "payload")
SECTION_BUNDLE, SECTION_CHAIN, SECTION_HISTORY, SECTION_TIMELINE = "bundle", "chain", "history", "timeline"
SECTION_CHECKPOINT = "checkpoint"
PUBLIC_KEY_FILE = "audit-signing-key.pub.pem"
SUMS_FILE = "SHA256SUMS"


def checkpoint_json(signed: checkpoints.Signed) -> dict:
    """The signed checkpoint as the bundle carries it: the exact bytes signed, the signature (base64), the public
    key, and the openssl line that verifies it once written out as files."""
    document = signed.document
    return {
        "file": signed.name, "taken_at": document["taken_at"], "reason": document["reason"],
        "key_id": document["key_id"], "document": signed.body.decode("ascii"),
        "signature_base64": base64.b64encode(signed.signature).decode("ascii"),
        "public_key_pem": signed.public_key_pem.decode("ascii"),
        "verify": f"openssl pkeyutl -verify -pubin -inkey {PUBLIC_KEY_FILE} -rawin -in {signed.name} "
                  f"-sigfile {signed.name}.sig",
    }


def _name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _history_row(version: selectors.Version) -> dict:
    return {
        "model": version.model_label, "record": version.part.title, "object_id": version.object_id,
        "object": version.object_name, "history_id": version.history_id, "type": version.history_type,
        "change_type": version.type_label, "date": diff.iso_utc(version.history_date), "user": version.user,
        "source": version.source, "reason": version.reason or None, "chain_hash": version.chain_hash,
        "changes": [{"field": c.name, "label": c.label, "old": c.old, "new": c.new, "old_value": c.old_value,
                     "new_value": c.new_value, "withheld": c.withheld} for c in version.changes],
    }


def _timeline_row(event) -> dict:
    return {
        "id": event.pk, "at": diff.iso_utc(event.at), "kind": event.kind, "kind_label": event.get_kind_display(),
        "actor": _name(event.actor), "source": event.source, "summary": event.summary, "payload": event.payload,
        "flagged": event.flagged,
    }


def incident_bundle(incident: Incident, *, generated_by, checkpoint: checkpoints.Signed,
                    generated_at: datetime | None = None) -> dict:
    """The bundle of `incident` as plain JSON (the PDF's attachment, the CSV's content), with the signed
    `checkpoint` taken for it."""
    generated_at = (generated_at or timezone.now()).replace(microsecond=0)
    trail = selectors.incident_audit_trail(incident, reader=None, full=True)  # no confidential value; every row
    timeline = [_timeline_row(e) for e in selectors.incident_timeline_events(incident)]
    return {
        "schema": SCHEMA,
        "incident": {"reference": incident.reference, "title": incident.title},
        "generated_at": diff.iso_utc(generated_at), "generated_by": _name(generated_by),
        "chain": {
            "state": trail.chain_state, "result": trail.chain_text,
            "record": {"state": trail.record_chain.state, "result": trail.record_chain.text},
            "heads": [
                {**status.as_json(),
                 "record": p.part.title if status is p.chain else f"{p.part.title} (related-record snapshots)",
                 "history_rows": p.versions if status is p.chain else None}
                for p in trail.parts for status in p.chains],
        },
        "checkpoint": checkpoint_json(checkpoint),
        "counts": {"history_rows": len(trail.versions), "timeline_events": len(timeline)},
        "history": [_history_row(v) for v in trail.versions],
        "timeline": timeline,
    }


def _cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text, never evaluates (no leading formula character)."""
    return cell("" if value is None else str(value))


def _change_line(change: dict) -> str:
    return f"{change['label']}: {change['old']} → {change['new']}"


def bundle_csv(bundle: dict) -> str:
    """One CSV, one section per row kind: the bundle itself, the chain heads and their verification, then every
    history row and every timeline event. The header block (bundle and chain rows) comes first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def row(**values):
        writer.writerow([_cell(values.get(name)) for name in CSV_COLUMNS])

    incident, chain = bundle["incident"], bundle["chain"]
    row(section=SECTION_BUNDLE, model="incidents.incident", object=f"{incident['reference']} {incident['title']}",
        at_utc=bundle["generated_at"], user=bundle["generated_by"],
        summary=f"Audit bundle of {incident['reference']} generated {bundle['generated_at']}; "
                f"chain verification: {chain['result']}",
        payload=diff.json_compact({"schema": bundle["schema"], **bundle["counts"], "chain_state": chain["state"],
                                   "record_chain": chain["record"]}))
    for head in chain["heads"]:
        row(section=SECTION_CHAIN, model=head["model"], object=head["record"], history_id=head["head_id"],
            change_type=head["state"], chain_hash=head["head_hash"], at_utc=bundle["generated_at"],
            summary=head["result"], payload=diff.json_compact(head))
    checkpoint = bundle["checkpoint"]
    row(section=SECTION_CHECKPOINT, object=checkpoint["file"], at_utc=checkpoint["taken_at"],
        chain_hash=checkpoint["key_id"],
        summary=f"Signed checkpoint of every chain head (Ed25519, key {checkpoint['key_id'][:16]}); verify: "
                f"{checkpoint['verify']}",
        payload=diff.json_compact({k: checkpoint[k] for k in ("document", "signature_base64", "public_key_pem")}))
    for item in bundle["history"]:
        row(section=SECTION_HISTORY, model=item["model"], object_id=item["object_id"], object=item["object"],
            history_id=item["history_id"], change_type=item["change_type"], at_utc=item["date"], user=item["user"],
            source=item["source"], changed_fields="; ".join(c["field"] for c in item["changes"]),
            changes="\n".join(_change_line(c) for c in item["changes"]), chain_hash=item["chain_hash"],
            summary=item["reason"],
            payload=diff.json_compact({c["field"]: {"old": c["old_value"], "new": c["new_value"]}
                                       for c in item["changes"] if not c["withheld"]}))
    for event in bundle["timeline"]:
        row(section=SECTION_TIMELINE, model="incidents.timelineevent", object_id=event["id"],
            change_type=event["kind"], at_utc=event["at"], user=event["actor"], source=event["source"],
            summary=event["summary"], payload=diff.json_compact(event["payload"]))
    return out.getvalue()


def _shorten(text: str) -> str:
    if text is None or len(text) <= PDF_VALUE_CHARS:
        return text
    return f"{text[:PDF_VALUE_CHARS]}… ({len(text)} characters; the full value is in the attached data)"


def bundle_file_name(bundle: dict, extension: str) -> str:
    stamp = bundle["generated_at"].replace("-", "").replace(":", "")
    return f"{bundle['incident']['reference']}-audit-bundle-{stamp}.{extension}"


def bundle_pdf(bundle: dict, incident: Incident) -> bytes:
    """The bundle as a PDF through the one renderer; the attachment is the bundle data itself."""
    reference = bundle["incident"]["reference"]
    history = [{**item, "changes": [{**c, "old": _shorten(c["old"]), "new": _shorten(c["new"])}
                                    for c in item["changes"]]} for item in bundle["history"]]
    timeline = [{**e, "payload_lines": [_shorten(line) for line in diff.json_lines(e["payload"])]}
                for e in bundle["timeline"]]
    context = {
        "document": {
            "title": f"Audit bundle {reference}", "kind_label": "Audit bundle",
            "reference": f"{reference}/audit-bundle/{bundle['generated_at'].replace('-', '').replace(':', '')}",
            "issued_at": bundle["generated_at"], "issued_by": bundle["generated_by"],
        },
        "incident": incident_context(incident),
        "bundle": {**bundle, "history": history, "timeline": timeline},
    }
    return render_pdf(template=TEMPLATE, context=context, attachment=bundle, title=context["document"]["title"],
                      attachment_name="audit-bundle.json")


VERIFY_TEXT = """Audit bundle {reference}, generated {generated_at} by {generated_by}.

Verify it offline, without the portal, with the public key legal holds for the portal (compare its key id:
  openssl pkey -pubin -in {public_key} -outform DER | sha256sum
must print {key_id}):

1. The list of files and their SHA-256 sums is signed by the portal:
  openssl pkeyutl -verify -pubin -inkey {public_key} -rawin -in {sums} -sigfile {sums}.sig
2. The files are the ones listed:
  sha256sum -c {sums}
3. The checkpoint of every history chain's head taken with this bundle is signed by the portal:
  {checkpoint_verify}
   Later, `manage.py verify_audit_trail --checkpoints DIR` with this checkpoint in DIR shows whether any history
   table was rewritten, cut short or truncated since.
"""


def bundle_archive(bundle: dict, *, pdf: bytes, csv_text: str, key=None) -> bytes:
    """A ZIP of the PDF, the CSV, the checkpoint with its signature, the public key, SHA256SUMS signed with the
    same key, and VERIFY.txt saying how to check them offline."""
    key = key or checkpoints.signing_key()
    checkpoint = bundle["checkpoint"]
    files = {
        bundle_file_name(bundle, "pdf"): pdf,
        bundle_file_name(bundle, "csv"): csv_text.encode("utf-8"),
        checkpoint["file"]: checkpoint["document"].encode("ascii"),
    }
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items()).encode("ascii")
    files[checkpoint["file"] + ".sig"] = base64.b64decode(checkpoint["signature_base64"])
    files[PUBLIC_KEY_FILE] = checkpoint["public_key_pem"].encode("ascii")
    files[SUMS_FILE] = sums
    files[SUMS_FILE + ".sig"] = key.sign(sums)
    files["VERIFY.txt"] = VERIFY_TEXT.format(
        reference=bundle["incident"]["reference"], generated_at=bundle["generated_at"],
        generated_by=bundle["generated_by"], public_key=PUBLIC_KEY_FILE, key_id=checkpoint["key_id"],
        sums=SUMS_FILE, checkpoint_verify=checkpoint["verify"]).encode("utf-8")
    out = io.BytesIO()
    folder = bundle_file_name(bundle, "d")[:-2]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"{folder}/{name}", data)
    return out.getvalue()
