"""The chain status on the audit pages and in the bundle: an untouched trail verifies; a history row altered,
deleted or forged behind the portal's back is named, and the altered row is flagged on the record's page.

The tampering is raw SQL, as someone with database access would do it; on PostgreSQL as the owner of the tables,
lifting the append-only triggers (`portal.tests.tampering`), in tests that commit (`tamper_db`)."""

import pytest
from django.db import connection
from django.urls import reverse

from incidents.models import Incident
from portal.tests.tampering import tamper_db, tampering
from reporting.audit import chain
from reporting.tests.audit.conftest import LEGAL, text_of

pytestmark = pytest.mark.django_db


def _rows(incident):
    return list(Incident.history.model.objects.filter(id=incident.pk).order_by("history_id"))


def _table():
    return connection.ops.quote_name(Incident.history.model._meta.db_table)


def test_an_untouched_trail_verifies_on_the_page_and_in_the_bundle(client_as, scene):
    client = client_as(LEGAL)
    trail = client.get(reverse("audit:incident", args=[scene.incident.reference])).context["trail"]
    assert trail.record_chain.state == chain.VERIFIED and trail.chain_state == chain.VERIFIED
    assert not [v for v in trail.versions if v.chain_break]
    assert trail.chain_text.startswith("verified: all ")
    csv_text = client.get(reverse("audit:incident_bundle_csv", args=[scene.incident.reference])).content.decode()
    assert "BROKEN" not in csv_text and "verified: all " in csv_text


@tamper_db
def test_a_history_row_altered_outside_the_portal_is_named_and_flagged(client_as, scene):
    client = client_as(LEGAL)
    url = reverse("audit:incident", args=[scene.incident.reference])
    row = _rows(scene.incident)[0]
    with tampering() as cursor:
        cursor.execute(f"UPDATE {_table()} SET title = %s WHERE history_id = %s",  # noqa: S608
                       ["Nothing happened", row.history_id])
    response = client.get(url)
    trail = response.context["trail"]
    assert trail.record_chain.state == chain.BROKEN and trail.chain_state == chain.BROKEN
    assert [v.history_id for v in trail.versions if v.chain_break] == [row.history_id]
    text = text_of(response)
    assert f"BROKEN: first break at history row #{row.history_id}" in text
    assert "(Incident history)" in trail.chain_text and "Historical" not in trail.chain_text
    assert "first break of the chain" in text


@tamper_db
def test_a_deleted_history_row_breaks_the_record_and_the_bundle_says_so(client_as, scene):
    client = client_as(LEGAL)
    first, second, *_ = _rows(scene.incident)
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {_table()} WHERE history_id = %s", [first.history_id])  # noqa: S608
    trail = client.get(reverse("audit:incident", args=[scene.incident.reference])).context["trail"]
    assert trail.record_chain.state == chain.BROKEN
    incident_chain = next(p.chain for p in trail.parts if p.chain.model_label == "incidents.HistoricalIncident")
    assert incident_chain.break_id == second.history_id  # its link points at a row that is gone
    csv_text = client.get(reverse("audit:incident_bundle_csv", args=[scene.incident.reference])).content.decode()
    assert f"BROKEN: first break at history row #{second.history_id}" in csv_text


@tamper_db
def test_a_forged_history_row_is_named_on_the_page(client_as, scene):
    history = Incident.history.model
    last = _rows(scene.incident)[-1]
    values = history.objects.filter(history_id=last.history_id).values().get()
    forged_id = history.objects.order_by("-history_id").values_list("history_id", flat=True)[0] + 1
    values.update(history_id=forged_id, title="Closed: nothing to report", chain_prev=last.chain_hash,
                  chain_hash="0" * 64)
    columns = {history._meta.get_field(name).column: value for name, value in values.items()}
    quote = connection.ops.quote_name
    with tampering() as cursor:
        cursor.execute(f"INSERT INTO {_table()} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
                       f"VALUES ({', '.join(['%s'] * len(columns))})",
                       [history._meta.get_field(name).get_db_prep_value(value, connection)
                        for name, value in values.items()])
    trail = client_as(LEGAL).get(reverse("audit:incident", args=[scene.incident.reference])).context["trail"]
    assert trail.record_chain.state == chain.BROKEN
    assert [v.history_id for v in trail.versions if v.chain_break] == [forged_id]


def test_several_chains_make_one_verdict():
    ok = chain.ChainStatus("a.A", ok=True, rows=3, head_id=3, head_hash="ab" * 32)
    broken = chain.ChainStatus("b.B", ok=False, rows=3, head_id=3, head_hash="cd" * 32,
                               first_break=chain.auditchain.ChainBreak(7, 1, "hash mismatch"))
    assert chain.overall([ok, ok]) == (chain.VERIFIED, "verified: all 2 chains intact (6 rows in these history tables)")
    state, text = chain.overall([ok, broken])
    assert state == chain.BROKEN and text == "BROKEN: 1 of 2 chains fail verification (b.B)"
    assert broken.text == "BROKEN: first break at history row #7 (hash mismatch)"
    assert ok.text == "verified: 3 rows, head row #3"  # every row recomputed (the bundle)
    page = chain.ChainStatus("a.A", ok=True, rows=1, head_id=1, head_hash="ab" * 32, rehashed=0)
    assert page.text == "verified: no row shown here; links of all 1 row intact, head row #1"
    page = chain.ChainStatus("a.A", ok=True, rows=3, head_id=3, head_hash="ab" * 32, rehashed=1)
    assert page.text == ("verified: the 1 row shown recomputed from its values and matching its hash; links of all "
                         "3 rows intact, head row #3")


@pytest.mark.parametrize(("label", "title"), [
    ("incidents.HistoricalIncident", "Incident history"),
    ("incidents.HistoricalIncident_atlas_techniques", "Incident: MITRE ATLAS techniques"),
    ("incidents.HistoricalIncident_systems", "Incident: systems"),
    ("reporting.HistoricalObligation", "Obligation history"),
    ("nowhere.HistoricalThing", "nowhere.HistoricalThing"),
])
def test_a_history_table_is_named_in_words(label, title):
    from reporting.audit.chain import chain_title

    assert chain_title(label) == title
