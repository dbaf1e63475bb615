"""Evidence and its chain of custody.

An upload is read once in chunks on the server: its SHA-256 and size are computed there (a digest from the client
is never trusted) and its type is sniffed from the bytes (magic numbers; UTF-8 text for JSON, NDJSON, CSV and
plain text), never taken from the declared content type or the file name. Only an accepted upload is written to
the default storage, so a refusal leaves no orphan file. Verification re-reads the stored file and records the
result in the chain of custody.
"""

import codecs
import csv
import hashlib
import json
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from incidents.models import CustodyEntry, Evidence, Incident, TimelineEvent
from incidents.services.records import record_event
from incidents.services.response import moment, require_user, who
from portal.core.history import save_tracked

Kind = TimelineEvent.Kind
Action = CustodyEntry.Action

CHUNK_SIZE = 64 * 1024
SAMPLE_CHARS = 64 * 1024  # decoded text kept to tell JSON, NDJSON, CSV and plain text apart

PLAIN, CSV, JSON, NDJSON = "text/plain", "text/csv", "application/json", "application/x-ndjson"
OCTET_STREAM = "application/octet-stream"
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),  # empty archive
    (b"PK\x07\x08", "application/zip"),  # spanned archive
    (b"\x1f\x8b", "application/gzip"),
)
TEXT_TYPES = (PLAIN, CSV, JSON, NDJSON)
EXTENSION = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "application/zip": ".zip",
             "application/gzip": ".gz", JSON: ".json", NDJSON: ".ndjson", CSV: ".csv", PLAIN: ".txt"}


# --- sniffing (pure) ------------------------------------------------------------------------------------------

def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _looks_like_csv(lines: list[str]) -> bool:
    if len(lines) < 2:
        return False
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=",;\t|")
    except csv.Error:
        return False
    widths = {len(row) for row in csv.reader(lines[:200], dialect)}
    return len(widths) == 1 and widths.pop() >= 2


def text_type(sample: str, *, complete: bool) -> str:
    """JSON, NDJSON, CSV or plain text, from decoded text (`complete`: the sample is the whole file)."""
    stripped = sample.lstrip("\ufeff \t\r\n")
    lines = [line for line in stripped.splitlines() if line.strip()]
    if not complete:
        lines = lines[:-1]  # the last line of a sample may be cut off
    if stripped[:1] in ("{", "["):
        if complete and _is_json(stripped):
            return JSON
        if len(lines) >= 2 and all(_is_json(line) for line in lines):
            return NDJSON
        if not complete:
            return JSON
    if _looks_like_csv(lines):
        return CSV
    return PLAIN


def binary_type(head: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


def type_allowed(detected: str, allowed) -> bool:
    """Allowed as detected; any UTF-8 text is also acceptable as plain text."""
    return detected in allowed or (detected in TEXT_TYPES and PLAIN in allowed)


def read_upload(file, *, max_bytes: int) -> dict:
    """Read `file` once in chunks: SHA-256, size and the sniffed type. Refuses (ValidationError on `file`) an
    empty file or one larger than `max_bytes`, stopping as soon as the limit is passed."""
    digest, size, head = hashlib.sha256(), 0, b""
    decoder, sample, text = codecs.getincrementaldecoder("utf-8")("strict"), [], True
    if hasattr(file, "seek"):
        file.seek(0)
    for chunk in file.chunks(CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            raise ValidationError({"file": (
                f"The file is larger than the evidence limit of {filesizeformat(max_bytes)} ({max_bytes} bytes, "
                "EVIDENCE_MAX_BYTES). Keep it elsewhere and record its reference instead."
            )})
        digest.update(chunk)
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        if text:
            try:
                decoded = decoder.decode(chunk)
            except UnicodeDecodeError:
                text = False
            else:
                if "\x00" in decoded:
                    text = False
                elif sum(map(len, sample)) < SAMPLE_CHARS:
                    sample.append(decoded)
    if size == 0:
        raise ValidationError({"file": "The file is empty; there is nothing to keep as evidence."})
    if text:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            text = False
    joined = "".join(sample)
    detected = binary_type(head) or (
        text_type(joined[:SAMPLE_CHARS], complete=len(joined) <= SAMPLE_CHARS) if text else OCTET_STREAM
    )
    return {"sha256": digest.hexdigest(), "size": size, "content_type": detected}


def _file_digest(evidence: Evidence) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with evidence.file.storage.open(evidence.file.name, "rb") as stored:
        for chunk in stored.chunks(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# --- services -------------------------------------------------------------------------------------------------

@transaction.atomic
def evidence_add(*, actor, incident: Incident, title: str, file=None, reference: str = "", description: str = "",
                 collected_at=None) -> Evidence:
    """Keep an artefact (an uploaded file, a reference to where it is kept, or both) with its digest, and open
    its chain of custody with a `collected` entry."""
    require_user(actor, "Evidence")
    collected_at = moment(collected_at, "collected_at")
    reference = (reference or "").strip()
    if file is None and not reference:
        raise ValidationError({"file": "Upload a file or give the reference where the artefact is kept."})
    evidence = Evidence(incident=incident, title=(title or "").strip(), description=(description or "").strip(),
                        reference=reference, collected_by=actor, collected_at=collected_at)
    evidence.clean_fields(exclude=["file"])
    declared = ""
    if file is not None:
        if not isinstance(file, File):
            file = File(file, name=getattr(file, "name", None) or "evidence")
        facts = read_upload(file, max_bytes=settings.EVIDENCE_MAX_BYTES)
        allowed = list(settings.EVIDENCE_ALLOWED_TYPES)
        if not type_allowed(facts["content_type"], allowed):
            raise ValidationError({"file": (
                f"Files of type {facts['content_type']} are not accepted as evidence (detected from the content, "
                f"not the name or declared type); allowed: {', '.join(allowed)} (EVIDENCE_ALLOWED_TYPES)."
            )})
        declared = getattr(file, "content_type", "") or ""
        evidence.original_name = os.path.basename(file.name or "")[-255:]
        evidence.content_type, evidence.size, evidence.sha256 = facts["content_type"], facts["size"], facts["sha256"]
        stored_name = facts["sha256"][:16] + EXTENSION.get(facts["content_type"], ".bin")
        evidence.file.save(stored_name, file, save=False)
    try:
        save_tracked(evidence, actor=actor)
        what = f"SHA-256 {evidence.sha256}, {evidence.size} bytes" if evidence.file else f"kept at {reference}"
        save_tracked(CustodyEntry(evidence=evidence, action=Action.COLLECTED, actor=actor, at=collected_at,
                                  notes=what), actor=actor)
        record_event(incident, Kind.EVIDENCE, actor=actor, summary=f"Evidence collected: {evidence.title} ({what})",
                     payload={"evidence": evidence.pk, "sha256": evidence.sha256, "size": evidence.size,
                              "content_type": evidence.content_type, "declared_type": declared,
                              "original_name": evidence.original_name, "reference": reference})
    except Exception:
        if evidence.file:
            evidence.file.delete(save=False)  # nothing half-written: no file without its record
        raise
    return evidence


@transaction.atomic
def evidence_verify(*, actor, evidence: Evidence) -> bool:
    """Re-read the stored file, recompute its SHA-256 and record the result in the chain of custody."""
    require_user(actor, "Verifying evidence")
    if not evidence.file:
        raise ValidationError({"file": f"'{evidence}' has no stored file to verify; it is kept at "
                                       f"{evidence.reference or 'an unrecorded place'}."})
    try:
        digest, size = _file_digest(evidence)
    except OSError as exc:
        digest, size, problem = "", None, f"the stored file cannot be read ({exc.__class__.__name__})"
    else:
        problem = "" if digest == evidence.sha256 else f"SHA-256 is now {digest}, recorded {evidence.sha256}"
    ok = not problem
    notes = f"SHA-256 {digest} matches the recorded digest." if ok else f"Verification failed: {problem}."
    save_tracked(CustodyEntry(evidence=evidence, action=Action.VERIFIED if ok else Action.VERIFICATION_FAILED,
                              actor=actor, at=timezone.now(), notes=notes), actor=actor)
    record_event(evidence.incident, Kind.EVIDENCE, actor=actor, flagged=not ok,
                 summary=f"Evidence {'verified' if ok else 'FAILED verification'}: {evidence.title}"
                         + ("" if ok else f" ({problem})"),
                 payload={"evidence": evidence.pk, "verified": ok, "recorded_sha256": evidence.sha256,
                          "computed_sha256": digest, "size": size})
    return ok


MANUAL_ACTIONS = (Action.TRANSFERRED, Action.ACCESSED, Action.RELEASED)


@transaction.atomic
def custody_record(*, actor, evidence: Evidence, action: str, to_party: str = "", notes: str = "",
                   at=None) -> CustodyEntry:
    """A hand-over, access or release of an evidence item (collection and verification are recorded by
    `evidence_add` and `evidence_verify`)."""
    require_user(actor, "A custody entry")
    if action not in MANUAL_ACTIONS:
        raise ValidationError({"action": (
            f"{action!r} is not recorded by hand; one of {', '.join(MANUAL_ACTIONS)} (collection and "
            "verification are recorded when evidence is added and verified)."
        )})
    at = moment(at, "at")
    if at < evidence.collected_at:
        raise ValidationError({"at": f"{at:%Y-%m-%d %H:%M} UTC is before the evidence was collected "
                                     f"({evidence.collected_at:%Y-%m-%d %H:%M} UTC)."})
    to_party = (to_party or "").strip()
    if action in (Action.TRANSFERRED, Action.RELEASED) and not to_party:
        raise ValidationError({"to_party": f"A {Action(action).label.lower()} entry names who received it."})
    entry = save_tracked(CustodyEntry(evidence=evidence, action=action, actor=actor, at=at, to_party=to_party,
                                      notes=(notes or "").strip()), actor=actor)
    record_event(evidence.incident, Kind.EVIDENCE, actor=actor,
                 summary=f"Evidence {Action(action).label.lower()}: {evidence.title} by {who(actor)}"
                         + (f" to {to_party}" if to_party else ""),
                 payload={"evidence": evidence.pk, "custody": entry.pk, "action": action, "to_party": to_party})
    return entry
