"""Evidence: digest, size and type computed from the bytes on the server, refusals that leave no file behind,
verification against the stored file, and the chain of custody."""

import gzip
import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.models import CustodyEntry, Evidence, TimelineEvent
from incidents.services.evidence import text_type
from incidents.tests.factories import open_incident

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def responder(role_users):
    return role_users["incident responder"]


@pytest.fixture
def incident(responder):
    return open_incident(responder)


def _stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def _add(incident, actor, content, name="log.txt", declared="text/plain", **extra):
    upload = SimpleUploadedFile(name, content, content_type=declared)
    return services.evidence_add(actor=actor, incident=incident, title="Guardrail log", file=upload, **extra)


def test_an_upload_is_stored_with_its_digest_size_and_sniffed_type_and_a_collected_entry(incident, responder, media):
    content = b"2026-05-01T10:00Z blocked: ignore previous instructions\n"
    evidence = _add(incident, responder, content, name="../../guardrail.log", declared="image/png")
    assert evidence.sha256 == hashlib.sha256(content).hexdigest() and evidence.size == len(content)
    assert evidence.content_type == "text/plain"  # sniffed, not the declared image/png
    assert evidence.original_name == "guardrail.log"
    assert evidence.file.name.startswith("evidence/") and evidence.file.name.endswith(".txt")
    (stored,) = _stored_files(media)
    assert stored.read_bytes() == content
    assert evidence.history.get().history_user == responder and evidence.collected_by == responder
    entry = evidence.custody.get()
    assert entry.action == "collected" and entry.actor == responder and evidence.sha256 in entry.notes
    assert entry.history.get().history_user == responder
    event = TimelineEvent.objects.get(incident=incident, kind="evidence")
    assert event.actor == responder and event.payload["declared_type"] == "image/png"


def test_a_large_upload_is_hashed_in_chunks(incident, responder):
    content = b"a,b,c\n" * 50_000  # 300 kB: several chunks
    evidence = _add(incident, responder, content, name="big.csv")
    assert evidence.sha256 == hashlib.sha256(content).hexdigest() and evidence.size == 300_000
    assert evidence.content_type == "text/csv"


def _zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("trace.json", "{}")
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "expected"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf"),
    (PNG, "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
    (_zip(), "application/zip"),
    (gzip.compress(b"prompt log", mtime=0), "application/gzip"),
    (b'{"alert": "prompt injection", "score": 0.97}', "application/json"),
    (b'{"n": 1}\n{"n": 2}\n{"n": 3}\n', "application/x-ndjson"),
    (b"user,decision\n42,denied\n43,approved\n", "text/csv"),
    ("Caf\u00e9 notes: the model answered, then refused.".encode(), "text/plain"),
])
def test_the_type_is_sniffed_from_the_bytes(incident, responder, content, expected):
    evidence = _add(incident, responder, content, name="upload.bin", declared="application/octet-stream")
    assert evidence.content_type == expected


def test_text_sniffing_of_a_cut_off_sample():
    assert text_type('{"n": 1}\n{"n": 2}\n{"n": 3', complete=False) == "application/x-ndjson"
    assert text_type('{"a": [1, 2,', complete=False) == "application/json"
    assert text_type("Hello, world.\nAnother line here", complete=True) == "text/plain"


@pytest.mark.parametrize(("content", "name", "declared"), [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "screenshot.png", "image/png"),  # a Windows executable
    (b"\x7fELF\x02\x01\x01\x00" + bytes(32), "report.pdf", "application/pdf"),
    (b"caf\xe9 \xff\xfe latin-1 and junk", "notes.txt", "text/plain"),  # not UTF-8
])
def test_a_disguised_or_unknown_type_is_refused_and_nothing_is_stored(incident, responder, media, content, name,
                                                                      declared):
    with pytest.raises(ValidationError) as excinfo:
        _add(incident, responder, content, name=name, declared=declared)
    message = excinfo.value.message_dict["file"][0]
    assert "application/octet-stream are not accepted" in message and "application/pdf" in message
    assert not Evidence.objects.exists() and not CustodyEntry.objects.exists() and not _stored_files(media)


def test_the_allowed_types_come_from_the_settings(incident, responder, settings, media):
    settings.EVIDENCE_ALLOWED_TYPES = ["application/pdf"]
    with pytest.raises(ValidationError) as excinfo:
        _add(incident, responder, b"just text")
    assert "text/plain are not accepted" in excinfo.value.message_dict["file"][0]
    assert not _stored_files(media)
    settings.EVIDENCE_ALLOWED_TYPES = ["text/plain"]  # plain text covers every UTF-8 text
    assert _add(incident, responder, b"a,b\n1,2\n3,4\n").content_type == "text/csv"


def test_a_file_over_the_limit_is_refused_naming_the_limit(incident, responder, settings, media):
    settings.EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as excinfo:
        _add(incident, responder, b"x" * 1025)
    assert "1024 bytes" in excinfo.value.message_dict["file"][0]
    assert not Evidence.objects.exists() and not _stored_files(media)
    assert _add(incident, responder, b"x" * 1024).size == 1024


def test_an_empty_file_is_refused(incident, responder, media):
    with pytest.raises(ValidationError) as excinfo:
        _add(incident, responder, b"")
    assert "empty" in excinfo.value.message_dict["file"][0]


def test_a_refused_record_deletes_the_file_it_had_stored(incident, responder, media, monkeypatch):
    def fail(*args, **kwargs):
        raise ValidationError({"at": "boom"})

    monkeypatch.setattr("incidents.services.evidence.record_event", fail)
    with pytest.raises(ValidationError):
        _add(incident, responder, b"some text")
    assert not _stored_files(media) and not Evidence.objects.exists()


def test_a_reference_alone_is_evidence_and_neither_is_refused(incident, responder):
    evidence = services.evidence_add(actor=responder, incident=incident, title="Vendor trace",
                                     reference="s3://forensics/aiir/trace-42.jsonl", file=None)
    assert evidence.sha256 == "" and not evidence.file
    assert "kept at s3://forensics" in evidence.custody.get().notes
    with pytest.raises(ValidationError) as excinfo:
        services.evidence_add(actor=responder, incident=incident, title="Nothing")
    assert "Upload a file or give the reference" in excinfo.value.message_dict["file"][0]


def test_a_plain_django_file_is_accepted(incident, responder):
    evidence = services.evidence_add(actor=responder, incident=incident, title="Export",
                                     file=ContentFile(b'{"ok": true}', name="export.json"))
    assert evidence.content_type == "application/json" and evidence.file.name.endswith(".json")


def test_verifying_an_intact_file_records_a_verified_entry(incident, responder, role_users):
    evidence = _add(incident, responder, b"evidence bytes")
    legal = role_users["legal reviewer"]
    assert services.evidence_verify(actor=legal, evidence=evidence) is True
    entry = evidence.custody.latest("id")
    assert entry.action == "verified" and entry.actor == legal and entry.history.get().history_user == legal
    event = TimelineEvent.objects.filter(incident=incident, kind="evidence").latest("id")
    assert event.actor == legal and not event.flagged and event.payload["verified"] is True


def test_a_tampered_file_fails_verification_and_flags_the_timeline(incident, responder, media):
    evidence = _add(incident, responder, b"original bytes")
    (stored,) = _stored_files(media)
    stored.write_bytes(b"altered bytes")
    assert services.evidence_verify(actor=responder, evidence=evidence) is False
    entry = evidence.custody.latest("id")
    assert entry.action == "verification_failed" and hashlib.sha256(b"altered bytes").hexdigest() in entry.notes
    event = TimelineEvent.objects.filter(incident=incident, kind="evidence").latest("id")
    assert event.flagged and "FAILED" in event.summary


def test_a_missing_file_fails_verification(incident, responder, media):
    evidence = _add(incident, responder, b"original bytes")
    _stored_files(media)[0].unlink()
    assert services.evidence_verify(actor=responder, evidence=evidence) is False
    assert "cannot be read" in evidence.custody.latest("id").notes


def test_reference_only_evidence_cannot_be_verified(incident, responder):
    evidence = services.evidence_add(actor=responder, incident=incident, title="Trace", reference="vault://42")
    with pytest.raises(ValidationError) as excinfo:
        services.evidence_verify(actor=responder, evidence=evidence)
    assert "no stored file" in excinfo.value.message_dict["file"][0]


def test_custody_records_transfers_accesses_and_releases(incident, responder, role_users):
    evidence = _add(incident, responder, b"bytes", collected_at=timezone.now() - timedelta(hours=2))
    legal = role_users["legal reviewer"]
    entry = services.custody_record(actor=responder, evidence=evidence, action="transferred", to_party="Legal",
                                    at=timezone.now() - timedelta(hours=1))
    services.custody_record(actor=legal, evidence=evidence, action="accessed", notes="Read for the notification.")
    services.custody_record(actor=legal, evidence=evidence, action="released", to_party="Regulator (CNIL)")
    assert list(evidence.custody.values_list("action", flat=True)) == [
        "collected", "transferred", "accessed", "released"]
    assert entry.history.get().history_user == responder and entry.to_party == "Legal"
    event = TimelineEvent.objects.filter(incident=incident, kind="evidence").latest("id")
    assert event.actor == legal and "Regulator (CNIL)" in event.summary


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"action": "verified"}, "action", "not recorded by hand"),
    ({"action": "transferred"}, "to_party", "names who received it"),
    ({"action": "accessed", "at": "before"}, "at", "before the evidence was collected"),
    ({"action": "accessed", "at": "future"}, "at", "in the future"),
])
def test_bad_custody_entries_are_refused_naming_the_field(incident, responder, kwargs, field, words):
    evidence = _add(incident, responder, b"bytes", collected_at=timezone.now() - timedelta(hours=1))
    shift = {"before": timedelta(hours=-2), "future": timedelta(hours=1)}
    if "at" in kwargs:
        kwargs = {**kwargs, "at": timezone.now() + shift[kwargs["at"]]}
    with pytest.raises(ValidationError) as excinfo:
        services.custody_record(actor=responder, evidence=evidence, **kwargs)
    assert words in excinfo.value.message_dict[field][0]
    assert evidence.custody.count() == 1
