# ruff: noqa: S608  (raw SQL on the models' own table names, never on input: tampering as an attacker would)
"""Verified points of the history chains: every verification run records where each chain was verified up to,
`verify_audit_trail --incremental` verifies from there, and the audit pages trust the rows before the point and
check the rows after it (ADR 0006).

Tampering is raw SQL as someone with database access would do it (`portal.tests.tampering`)."""

import json
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from simple_history.utils import bulk_create_with_history

from inventory import services as inventory_services
from inventory.models import AISystem
from portal.core import auditchain
from portal.core.auditchain import canonical, points
from portal.core.jobs.models import Job
from portal.core.models import ChainVerification
from portal.tests.tampering import tamper_db, tampering
from portal.tests.test_audit_chain import HistoricalAISystem, make_history, system_rows, table, verify

LABEL = "inventory.HistoricalAISystem"


@pytest.fixture
def actor(db):
    from portal.tests.factories import make_user

    return make_user("point-writer")


def full_run(*models):
    return points.verify_tables(list(models) or None, jobs=1, by="command")


def status(rows=()):
    return auditchain.tables_status({HistoricalAISystem: list(rows)})[LABEL]


def more_history(actor, system, count):
    for i in range(count):
        inventory_services.ai_system_update(actor=actor, system=system, purpose=f"Purpose {i}")


# --- hashes ---------------------------------------------------------------------------------------------------------


def test_the_fast_serialization_gives_the_same_bytes_and_hashes_as_the_model_path_on_every_table(actor):
    make_history(actor)
    compared = 0
    for model in auditchain.chained_models():
        names, serialize = canonical.row_reader(model)
        for row in model.objects.order_by("pk"):
            values = model.objects.filter(pk=row.pk).values_list(*names).get()
            assert serialize(values) == canonical.canonical_bytes(row), model._meta.label
            assert canonical.chained_hash(row.chain_prev, serialize(values)) == row.chain_hash
            compared += 1
    assert compared > 20


def _raw_rows(model):
    """Every row of `model` as the driver's cursor gives the raw path's selection: (history id, chain_prev,
    chain_hash, values)."""
    quote = connection.ops.quote_name
    pk = model._meta.pk.column
    selected = ", ".join(canonical.raw_select(model, connection))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(pk)}, chain_prev, chain_hash, {selected} FROM {quote(model._meta.db_table)} "
                       f"ORDER BY {quote(pk)}")
        return [(row[0], row[1], row[2], row[3:]) for row in cursor.fetchall()]


def test_the_raw_driver_path_gives_the_same_bytes_as_the_orm_path_and_the_stored_hash_on_every_table(actor):
    make_history(actor)
    compared = 0
    for model in auditchain.chained_models():
        names, serialize = canonical.row_reader(model)
        _columns, raw = canonical.raw_reader(model, connection)
        for history_id, prev, stored, values in _raw_rows(model):
            orm = model.objects.filter(pk=history_id).values_list(*names).get()
            assert raw(values) == serialize(orm), model._meta.label
            assert canonical.chained_hash(prev, raw(values)) == stored
            compared += 1
    assert compared > 20


def test_random_datetimes_serialize_the_same_by_the_raw_path_the_orm_path_and_the_model(actor):
    """Property: for random history dates (any year from 1, with and without microseconds), what the raw path
    reads back hashes to the stored hash and equals the ORM path's bytes."""
    import datetime as dt
    import random

    generator = random.Random(13)
    system = make_history(actor)[0]
    dates = [dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
             dt.datetime(2026, 3, 1, 0, 0, 0, 1, tzinfo=dt.UTC), dt.datetime(9999, 12, 31, 23, 59, 59, 999999,
                                                                              tzinfo=dt.UTC)]
    dates += [dt.datetime(1, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
        microseconds=generator.randrange(0, 315_537_897_600_000_000)) for _ in range(60)]
    dates += [d.replace(microsecond=0) for d in dates[4:20]]
    offset = dt.timezone(dt.timedelta(hours=generator.choice([-11, -3, 5, 14])))
    last = HistoricalAISystem.objects.filter(id=system.pk).latest("history_id")
    base = {f.attname: getattr(last, f.attname) for f in canonical.hashed_fields(HistoricalAISystem)}
    rows = [HistoricalAISystem(**{**base, "purpose": str(i), "history_type": "~",
                                  "history_date": d if i % 2 or d.year == 1 else d.astimezone(offset)})
            for i, d in enumerate(dates)]
    HistoricalAISystem.objects.bulk_create(rows)
    names, serialize = canonical.row_reader(HistoricalAISystem)
    _columns, raw = canonical.raw_reader(HistoricalAISystem, connection)
    checked = 0
    for history_id, prev, stored, values in _raw_rows(HistoricalAISystem):
        orm = HistoricalAISystem.objects.filter(pk=history_id).values_list(*names).get()
        row = HistoricalAISystem.objects.get(pk=history_id)
        assert raw(values) == serialize(orm) == canonical.canonical_bytes(row)
        assert canonical.chained_hash(prev, raw(values)) == stored == auditchain.row_hash(row, prev)
        checked += 1
    assert checked >= len(dates)
    assert auditchain.verify_chain(HistoricalAISystem).ok


def test_a_row_written_before_keeps_its_hash():
    """A fixed row hashes to the value the chain has always given it (the serialization may get faster, never
    different)."""
    import datetime as dt

    row = HistoricalAISystem(
        id=7, name="Support bot", slug="support-bot", purpose="Drafts replies.", personal_data_categories=["contact"],
        history_date=dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC), history_type="+",
        history_change_reason=None)
    names, serialize = canonical.row_reader(HistoricalAISystem)
    values = tuple(getattr(row, name) for name in names)
    assert serialize(values) == canonical.canonical_bytes(row)
    assert canonical.chained_hash("", serialize(values)) == auditchain.row_hash(row, "")
    assert b'"history_date":"2026-03-01T12:30:15.123456+00:00"' in serialize(values)
    assert b'"personal_data_categories":["contact"]' in serialize(values)


# --- incremental verification ---------------------------------------------------------------------------------------


def test_a_full_run_records_a_point_per_table_and_an_unchanged_table_keeps_its_point(actor):
    make_history(actor)
    reports = full_run()
    assert all(r.ok for r in reports)
    point = auditchain.latest_point(HistoricalAISystem)
    last = HistoricalAISystem.objects.order_by("-history_id").first()
    assert (point.mode, point.by, point.last_history_id, point.last_hash, point.rows) == (
        "full", "command", last.history_id, last.chain_hash, HistoricalAISystem.objects.count())
    assert ChainVerification.objects.filter(label=LABEL).count() == 1
    full_run()  # nothing appended: the point stands
    assert ChainVerification.objects.filter(label=LABEL).count() == 1


def test_incremental_after_appends_checks_only_the_new_rows_and_matches_a_full_run(actor):
    system, _other, _incident = make_history(actor)
    full_run()
    before = auditchain.latest_point(HistoricalAISystem)
    more_history(actor, system, 3)

    report = auditchain.verify_increment(HistoricalAISystem)

    full = auditchain.verify_chain(HistoricalAISystem)
    assert report.ok and report.incremental and report.checked == 3 and report.since_id == before.last_history_id
    assert (report.rows, report.head_id, report.head_hash) == (full.rows, full.head_id, full.head_hash)
    points.record(report, by="schedule")
    after = auditchain.latest_point(HistoricalAISystem)
    assert (after.mode, after.from_history_id, after.last_history_id, after.rows, after.checked_rows) == (
        "incremental", before.last_history_id, full.head_id, full.rows, 3)


def test_incremental_without_a_point_verifies_the_whole_table(actor):
    make_history(actor)
    report = auditchain.verify_increment(HistoricalAISystem)
    assert report.ok and not report.incremental and report.checked == HistoricalAISystem.objects.count()


def test_verified_points_refuse_changes_through_the_orm(actor):
    make_history(actor)
    full_run()
    point = auditchain.latest_point(HistoricalAISystem)
    with pytest.raises(TypeError, match="append-only"):
        point.save()
    with pytest.raises(TypeError, match="append-only"):
        ChainVerification.objects.filter(pk=point.pk).update(last_history_id=1)
    with pytest.raises(TypeError, match="append-only"):
        point.delete()


# --- tampering before and after the point ---------------------------------------------------------------------------


@tamper_db
def test_a_row_changed_before_the_point_is_not_seen_by_a_page_not_showing_it_but_by_the_next_full_run(actor):
    system, other, _incident = make_history(actor)
    full_run()
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET purpose = %s WHERE history_id = %s",
                       ["Rewritten.", system_rows(other)[0].history_id])
    assert status(system_rows(system)).ok  # trusted up to the point, as the page says

    reports = full_run(HistoricalAISystem)

    assert not reports[0].ok and reports[0].first_break.reason == auditchain.MODIFIED
    found = status(system_rows(system))  # the page now shows the break the run recorded
    assert not found.ok and found.first_break.history_id == system_rows(other)[0].history_id
    assert found.found_by_run.by == "command" and not found.found_by_run.ok


@tamper_db
def test_a_row_shown_that_was_changed_before_the_point_is_caught_by_the_page_at_once(actor):
    system, _other, _incident = make_history(actor)
    full_run()
    shown = system_rows(system)
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET purpose = %s WHERE history_id = %s", ["Rewritten.", shown[1].history_id])
    found = status(system_rows(system))
    assert not found.ok and found.first_break == (shown[1].history_id, system.pk, auditchain.MODIFIED)


@tamper_db
def test_a_row_deleted_before_the_point_is_caught_by_the_next_incremental_run(actor):
    system, _other, _incident = make_history(actor)
    full_run()
    more_history(actor, system, 2)
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {table()} WHERE history_id = %s", [system_rows(system)[1].history_id])
    assert status().ok  # before the point: trusted by the page
    report = auditchain.verify_increment(HistoricalAISystem)
    assert not report.ok and report.first_break.reason == auditchain.POINT_ROWS


@tamper_db
def test_tampering_after_the_point_is_caught_by_the_page_and_by_the_incremental_run(actor):
    system, other, _incident = make_history(actor)
    full_run()
    more_history(actor, other, 3)
    after = system_rows(other)[-3:]
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET purpose = %s WHERE history_id = %s", ["Rewritten.", after[0].history_id])
    assert status(system_rows(system)).ok  # content of a row not shown: the links are intact
    report = auditchain.verify_increment(HistoricalAISystem)
    assert not report.ok and report.first_break == (after[0].history_id, other.pk, auditchain.MODIFIED)

    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {table()} WHERE history_id = %s", [after[1].history_id])
    found = status(system_rows(system))  # a deleted row after the point: the next row's link is broken at once
    assert not found.ok and found.first_break.history_id == after[2].history_id
    assert found.first_break.reason == auditchain.PREV_MISMATCH


@tamper_db
def test_a_point_whose_row_was_changed_is_reported(actor):
    _system, _other, _incident = make_history(actor)
    full_run()
    point = auditchain.latest_point(HistoricalAISystem)
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET chain_hash = %s WHERE history_id = %s", ["0" * 64, point.last_history_id])
    report = auditchain.verify_increment(HistoricalAISystem)
    assert not report.ok and report.first_break == (point.last_history_id, None, auditchain.POINT_CHANGED)
    assert status().first_break.reason == auditchain.POINT_CHANGED
    full = auditchain.verify_chain(HistoricalAISystem)
    assert not full.ok

    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {table()} WHERE history_id = %s", [point.last_history_id])
    report = auditchain.verify_increment(HistoricalAISystem)
    assert not report.ok and report.first_break == (point.last_history_id, None, auditchain.POINT_GONE)


# --- the page's cost ------------------------------------------------------------------------------------------------


def test_the_page_status_runs_three_queries_whatever_the_rows_and_tables(actor):
    system, _other, _incident = make_history(actor)
    labels = list(auditchain.chained_models())
    full_run()

    def queries(models):
        with CaptureQueriesContext(connection) as captured:
            found = auditchain.tables_status({m: [] for m in models})
        assert all(s.ok for s in found.values()), found
        return len(captured.captured_queries)

    assert queries([HistoricalAISystem]) == queries(labels) == 3
    bulk_create_with_history([AISystem(name=f"Bulk {i}", slug=f"bulk-{i}", purpose="x") for i in range(300)],
                             AISystem)
    more_history(actor, system, 5)
    assert queries([HistoricalAISystem]) == queries(labels) == 3
    assert status().since == 305


def test_rows_past_the_page_limit_are_left_to_the_next_run_and_said_so(actor):
    make_history(actor)
    full_run()
    bulk_create_with_history([AISystem(name=f"Bulk {i}", slug=f"bulk-{i}", purpose="x") for i in range(30)],
                             AISystem)
    found = auditchain.tables_status({HistoricalAISystem: []}, limit=10)[LABEL]
    assert found.ok and found.since == 10 and found.pending == 20
    assert found.rows == HistoricalAISystem.objects.count()


# --- the command and the schedule -----------------------------------------------------------------------------------


def test_the_incremental_command_says_what_it_checked_and_records_the_points(actor):
    system, _other, _incident = make_history(actor)
    ok, out, error = verify()
    assert ok, error
    more_history(actor, system, 2)

    ok, out, error = verify("--incremental", "--model", "inventory.AISystem")

    assert ok, error
    point = auditchain.latest_point(HistoricalAISystem)
    line = next(line for line in out.splitlines() if line.startswith(f"{LABEL} "))
    assert line.endswith(f"ok (2 new rows checked after the verified point #{point.from_history_id})")
    assert "All 2 history chains verify (" in out and "rows recomputed since the last verified points)." in out
    assert point.mode == "incremental" and point.by == "command"
    out = StringIO()
    call_command("verify_audit_trail", "--incremental", "--json", "--model", LABEL, stdout=out)
    assert json.loads(out.getvalue())[0] | {"head_hash": None} == {
        "model": LABEL, "ok": True, "rows": point.rows, "head_id": point.last_history_id, "head_hash": None,
        "first_break": None, "resealed_at": None, "mode": "incremental", "checked": 0,
        "since_history_id": point.last_history_id}


def test_the_command_refuses_a_number_of_processes_below_one(actor):
    ok, _out, error = verify("--jobs", "0")
    assert not ok and "--jobs 0" in error


@tamper_db
def test_a_break_found_by_the_command_exits_non_zero_and_is_recorded(actor):
    system, _other, _incident = make_history(actor)
    verify()
    more_history(actor, system, 1)
    last = system_rows(system)[-1]
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET purpose = %s WHERE history_id = %s", ["Rewritten.", last.history_id])

    ok, _out, error = verify("--incremental")

    assert not ok
    assert f"{LABEL} object {system.pk} history id {last.history_id}: {auditchain.MODIFIED}" in error
    recorded = ChainVerification.objects.filter(label=LABEL).order_by("-id").first()
    assert not recorded.ok and recorded.break_history_id == last.history_id and recorded.mode == "incremental"


@tamper_db
def test_the_scheduled_verification_logs_a_break_and_records_a_failed_job(actor, caplog):
    from portal.core import tasks

    system, _other, _incident = make_history(actor)
    tasks.verify_audit_trail()  # no point yet: a full run
    assert auditchain.latest_point(HistoricalAISystem).by == "schedule"
    assert not Job.objects.filter(kind=tasks.AUDIT_VERIFY.name).exists()  # a run that verified leaves no job
    more_history(actor, system, 1)
    last = system_rows(system)[-1]
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET purpose = %s WHERE history_id = %s", ["Rewritten.", last.history_id])

    with caplog.at_level(logging.ERROR, logger="portal.core.auditchain.points"):
        tasks.verify_audit_trail()

    assert f"History chain {LABEL} broken at history id {last.history_id}" in caplog.text
    job = Job.objects.get(kind=tasks.AUDIT_VERIFY.name)
    assert job.state == "failed" and f"{LABEL}: history id {last.history_id}" in job.error


def test_both_verifications_are_on_the_schedule_with_their_intervals(settings):
    from django.utils.module_loading import import_string

    schedule = settings.CELERY_BEAT_SCHEDULE
    incremental, full = schedule["audit-verify"], schedule["audit-verify-full"]
    assert import_string(incremental["task"]).name == "portal.core.tasks.verify_audit_trail"
    assert import_string(full["task"]).name == "portal.core.tasks.verify_audit_trail_full"
    assert incremental["schedule"] < full["schedule"]


@pytest.mark.parametrize("loss", ["0.01", "1234.50", "999999999999.99"])
def test_decimal_values_verify_by_the_raw_path_as_by_the_orm_path(actor, loss):
    from decimal import Decimal

    from incidents.models import Incident
    from incidents.services import incident_update
    from incidents.tests.factories import open_incident

    incident = open_incident(actor)
    incident_update(actor=actor, incident=incident, financial_loss=Decimal(loss), financial_loss_currency="EUR")
    model = Incident.history.model
    names, serialize = canonical.row_reader(model)
    _columns, raw = canonical.raw_reader(model, connection)
    rows = _raw_rows(model)
    assert any(f'"financial_loss":"{loss}"'.encode() in raw(values) for _id, _prev, _hash, values in rows)
    for history_id, prev, stored, values in rows:
        assert raw(values) == serialize(model.objects.filter(pk=history_id).values_list(*names).get())
        assert canonical.chained_hash(prev, raw(values)) == stored
    assert auditchain.verify_chain(model).ok


@pytest.fixture
def sqlite_file_connection(tmp_path, db):
    """A connection to a SQLite file configured as the portal's SQLite settings configure it (transactions begin
    IMMEDIATE, WAL), registered as the alias "probe"; and a second, raw connection to the same file that gives up
    at once when the write lock is taken."""
    import sqlite3

    from django.db import connections
    from django.db.backends.sqlite3.base import DatabaseWrapper

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's transaction modes")
    path = tmp_path / "probe.sqlite3"
    settings = {**connection.settings_dict, "NAME": str(path), "TEST": {},
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0.05,
                            "init_command": "PRAGMA journal_mode=WAL;"}}
    probe = DatabaseWrapper(settings, alias="probe")
    connections["probe"] = probe
    with probe.cursor() as cursor:
        cursor.execute("CREATE TABLE chain (id INTEGER PRIMARY KEY)")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        yield probe, other
    finally:
        other.close()
        probe.close()
        del connections["probe"]


def test_a_verification_on_sqlite_reads_a_snapshot_without_holding_the_write_lock(sqlite_file_connection):
    """The scheduled verification (minutes on a large table) must not stop alerts, edits and the other verifying
    processes from writing: its snapshot transaction begins DEFERRED, while the portal's other transactions keep
    beginning IMMEDIATE (they write)."""
    import sqlite3

    from django.db import transaction

    from portal.core.auditchain.verify import consistent_read

    probe, other = sqlite_file_connection
    with consistent_read("probe"), probe.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM chain")
        assert cursor.fetchone() == (0,)
        other.execute("BEGIN IMMEDIATE")  # another writer gets the lock at once
        other.execute("INSERT INTO chain (id) VALUES (1)")
        other.execute("COMMIT")
        cursor.execute("SELECT count(*) FROM chain")
        assert cursor.fetchone() == (0,), "the verification reads one snapshot"
    assert probe.transaction_mode == "IMMEDIATE"
    with transaction.atomic(using="probe"), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
