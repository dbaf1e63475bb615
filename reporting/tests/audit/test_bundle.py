"""The audit bundle of an incident: a CSV with every history row of the incident and its sub-records, every timeline
event and the chain heads with their verification; a PDF through the one renderer with the same data embedded."""

import csv
import io
import json
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pypdf
import pytest
from django.urls import reverse

from incidents import services as incident_services
from incidents.models import (
    ActionItem,
    ChecklistItem,
    ContainmentAction,
    CustodyEntry,
    Evidence,
    Incident,
    PostIncidentReview,
    RecoveryValidation,
    TimelineEvent,
)
from portal.core import confidential
from portal.core.auditchain import checkpoints
from reporting.audit import bundle
from reporting.models import DisclosureDecision, Document, Obligation, RegulatoryFacts
from reporting.pdf import extract_attachment
from reporting.tests.audit.conftest import AUDITOR, LEGAL, PRIVILEGED

pytestmark = pytest.mark.django_db


def _history_ids(incident) -> set[tuple[str, int]]:
    """Every history row of the incident and its sub-records, counted here without the audit selectors."""
    by_incident = (Obligation, RegulatoryFacts, DisclosureDecision, Document, ContainmentAction, Evidence,
                   RecoveryValidation, PostIncidentReview, ChecklistItem)
    querysets = [Incident.history.filter(id=incident.pk),
                 *(m.history.filter(incident_id=incident.pk) for m in by_incident),
                 CustodyEntry.history.filter(evidence__incident=incident),
                 ActionItem.history.filter(review__incident=incident)]
    return {(qs.model.instance_type._meta.label_lower, h) for qs in querysets
            for h in qs.values_list("history_id", flat=True)}


def _rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_has_every_history_row_and_timeline_event_of_the_incident(client_as, scene):
    incident = scene.incident
    rows = _rows(client_as(LEGAL).get(reverse("audit:incident_bundle_csv", args=[incident.reference])))
    history = [r for r in rows if r["section"] == "history"]
    timeline = [r for r in rows if r["section"] == "timeline"]

    expected = _history_ids(incident)
    assert len(expected) > 25
    assert len(history) == len(expected)
    assert {(r["model"], int(r["history_id"])) for r in history} == expected
    events = TimelineEvent.objects.filter(incident=incident)
    assert len(timeline) == events.count()
    assert {int(r["object_id"]) for r in timeline} == set(events.values_list("id", flat=True))
    opened = next(r for r in timeline if r["change_type"] == "opened")
    assert json.loads(opened["payload"])["class"] == "data_leakage" and opened["user"] == "compliance"


def test_the_csv_rows_say_who_when_from_where_and_what_changed(client_as, scene):
    rows = _rows(client_as(AUDITOR).get(reverse("audit:incident_bundle_csv", args=[scene.incident.reference])))
    history = [r for r in rows if r["section"] == "history"]
    rename = next(r for r in history if "Title: Transcripts exposed → Transcripts leaked (0)" in r["changes"])
    assert (rename["model"], rename["change_type"], rename["user"], rename["source"]) == (
        "incidents.incident", "Changed", "compliance", "api")
    assert "title" in rename["changed_fields"].split("; ")
    assert json.loads(rename["payload"])["title"] == {"old": "Transcripts exposed", "new": "Transcripts leaked (0)"}
    assert rename["at_utc"].endswith("Z") and datetime.fromisoformat(rename["at_utc"].replace("Z", "+00:00"))
    assert all(r["chain_hash"] for r in history) == bool(bundle.selectors.diff.HistorySpec.of(
        Incident).chain_hash_field)
    facts = next(r for r in history if r["model"] == "reporting.regulatoryfacts")
    assert facts["source"] == "admin"


def test_the_csv_opens_with_the_bundle_and_the_chain_heads(client_as, scene):
    rows = _rows(client_as(LEGAL).get(reverse("audit:incident_bundle_csv", args=[scene.incident.reference])))
    sections = [r["section"] for r in rows]
    assert sections[0] == "bundle"
    assert sections == sorted(sections, key=["bundle", "chain", "checkpoint", "history", "timeline"].index)
    head = rows[0]
    assert head["user"] == "legal" and head["at_utc"].endswith("Z")
    assert "chain verification:" in head["summary"]
    chains = {r["model"]: r for r in rows if r["section"] == "chain"}
    for label in ("incidents.HistoricalIncident", "reporting.HistoricalObligation", "incidents.HistoricalChecklistItem",
                  "incidents.HistoricalIncident_jurisdictions"):
        assert label in chains, label
        assert chains[label]["change_type"] == "verified"
        assert json.loads(chains[label]["payload"])["result"] == chains[label]["summary"]
    incident_chain = chains["incidents.HistoricalIncident"]
    if incident_chain["change_type"] == "verified":
        assert incident_chain["history_id"] and len(incident_chain["chain_hash"]) == 64


def test_the_privileged_analysis_is_never_exported(client_as, scene):
    response = client_as(LEGAL).get(reverse("audit:incident_bundle_csv", args=[scene.incident.reference]))
    content = response.content.decode()
    assert PRIVILEGED not in content
    assert f"Privileged analysis: {confidential.WITHHELD} → {confidential.WITHHELD}" in content


def test_spreadsheet_formulas_in_user_text_are_neutralised(client_as, scene, compliance):
    incident_services.evidence_add(actor=compliance, incident=scene.incident, title='=HYPERLINK("http://x")',
                                   reference="@SUM(A1)")
    rows = _rows(client_as(LEGAL).get(reverse("audit:incident_bundle_csv", args=[scene.incident.reference])))
    evidence = next(r for r in rows if r["model"] == "incidents.evidence" and "HYPERLINK" in r["object"])
    assert evidence["object"] == """'=HYPERLINK("http://x")"""
    assert not any(value.startswith(("=", "+", "@")) for r in rows for value in r.values())


def _pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_pdf_lists_the_bundle_readably_with_its_data_embedded(client_as, scene):
    incident = scene.incident
    response = client_as(LEGAL).get(reverse("audit:incident_bundle_pdf", args=[incident.reference]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{incident.reference}-audit-bundle-')
    pdf = response.content
    text = _pdf_text(pdf)
    assert incident.reference in text
    assert "compliance" in text and "legal" in text  # who changed things, who generated the bundle
    assert "Chain verification:" in text
    assert "Chain heads" in text and "Rows in this bundle" in text
    assert "incidents.HistoricalIncident" not in text  # tables by what they record, not by their code names
    assert PRIVILEGED not in text

    data = extract_attachment(pdf, "audit-bundle.json")
    assert data["schema"] == bundle.SCHEMA and data["incident"]["reference"] == incident.reference
    assert data["counts"]["history_rows"] == len(data["history"]) == len(_history_ids(incident))
    assert data["counts"]["timeline_events"] == len(data["timeline"]) == incident.timeline.count()
    assert data["chain"]["state"] == "verified"
    assert f"Chain verification: {data['chain']['result']}" in text
    assert PRIVILEGED not in json.dumps(data, ensure_ascii=False)


def test_the_pdf_goes_through_the_one_renderer(monkeypatch, scene, legal_user):
    calls = []

    def fake_render(**kwargs):
        calls.append(kwargs)
        return b"%PDF-1.7 stand-in"

    monkeypatch.setattr(bundle, "render_pdf", fake_render)
    data = bundle.incident_bundle(scene.incident, generated_by=legal_user,
                                  checkpoint=checkpoints.take(reason="test"))
    assert bundle.bundle_pdf(data, scene.incident) == b"%PDF-1.7 stand-in"
    (call,) = calls
    assert call["template"] == "reporting/pdf/v2/audit_bundle.html"
    assert call["attachment"] is data
    assert call["context"]["document"]["issued_at"] == data["generated_at"]


def test_a_pdf_that_cannot_be_rendered_is_a_503_naming_why(client_as, scene, monkeypatch):
    from reporting.pdf import RenderError

    def failing(**kwargs):
        raise RenderError("The PDF has 201 pages, over the limit of 200 (max_pages).")

    monkeypatch.setattr(bundle, "render_pdf", failing)
    response = client_as(LEGAL).get(reverse("audit:incident_bundle_pdf", args=[scene.incident.reference]))
    assert response.status_code == 503
    assert "max_pages" in response.content.decode()


@pytest.fixture
def legal_user(role_users):
    return role_users[LEGAL]


def test_a_first_version_with_related_records_exports_no_earlier_value():
    from reporting.audit import diff

    field = diff.M2MField(name="systems", label="systems", accessor="systems", target_attname="aisystem_id",
                          target_model=None, snapshot_model=None)
    text = diff.ValueText({}, reader=None)
    assert text.plain(field, None) is None
    assert text.plain(field, [3, 1]) == [1, 3]


# --- the signed checkpoint and the signed archive -------------------------------------------------------------------

def test_every_bundle_takes_a_signed_checkpoint_kept_outside_the_database(client_as, scene, settings):
    rows = _rows(client_as(LEGAL).get(reverse("audit:incident_bundle_csv", args=[scene.incident.reference])))

    (kept,) = Path(settings.AUDIT_CHECKPOINT_DIR).glob("checkpoint-*.json")
    (row,) = [r for r in rows if r["section"] == "checkpoint"]
    carried = json.loads(row["payload"])
    assert row["object"] == kept.name
    assert carried["document"].encode("ascii") == kept.read_bytes()  # the exact bytes signed
    assert f"audit bundle {scene.incident.reference}" in carried["document"]
    assert carried["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    signature = Path(str(kept) + ".sig").read_bytes()
    checkpoints.signing_key().public_key().verify(signature, kept.read_bytes())


@pytest.mark.skipif(not (shutil.which("openssl") and shutil.which("sha256sum")), reason="needs openssl, sha256sum")
def test_the_signed_archive_verifies_offline_with_openssl_and_sha256sum(client_as, scene, monkeypatch, tmp_path):
    monkeypatch.setattr(bundle, "render_pdf", lambda **kwargs: b"%PDF-1.7 stand-in")  # the layout is not the point
    response = client_as(AUDITOR).get(reverse("audit:incident_bundle_zip", args=[scene.incident.reference]))

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('.zip"')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(tmp_path / "unzipped")
    (folder,) = (tmp_path / "unzipped").iterdir()
    names = sorted(p.name for p in folder.iterdir())
    checkpoint = next(n for n in names if n.startswith("checkpoint-") and n.endswith(".json"))
    assert {"SHA256SUMS", "SHA256SUMS.sig", "VERIFY.txt", "audit-signing-key.pub.pem", checkpoint,
            checkpoint + ".sig"} <= set(names)
    assert any(n.endswith(".pdf") for n in names) and any(n.endswith(".csv") for n in names)

    def run(*command):
        return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)

    key = "audit-signing-key.pub.pem"
    assert run("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", key, "-rawin", "-in", "SHA256SUMS",
               "-sigfile", "SHA256SUMS.sig").returncode == 0
    assert run("sha256sum", "-c", "SHA256SUMS").returncode == 0
    assert run("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", key, "-rawin", "-in", checkpoint,
               "-sigfile", checkpoint + ".sig").returncode == 0
    verify_text = (folder / "VERIFY.txt").read_text()
    assert "sha256sum -c SHA256SUMS" in verify_text and checkpoint in verify_text

    csv_file = next(folder.glob("*.csv"))
    csv_file.write_text(csv_file.read_text().replace("verified", "VERIFIED", 1))  # an edited bundle
    assert run("sha256sum", "-c", "SHA256SUMS").returncode != 0


def test_without_a_signing_key_the_bundle_is_a_503_naming_why(client_as, scene, settings):
    settings.AUDIT_SIGNING_KEY_FILE = ""
    for name in ("audit:incident_bundle_csv", "audit:incident_bundle_pdf", "audit:incident_bundle_zip"):
        response = client_as(LEGAL).get(reverse(name, args=[scene.incident.reference]))
        assert response.status_code == 503
        assert "cannot be signed: AUDIT_SIGNING_KEY_FILE is not set" in response.content.decode()
