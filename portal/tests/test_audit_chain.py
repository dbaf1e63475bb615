# ruff: noqa: S608  (raw SQL on the models' own table names, never on input: tampering as an attacker would)
"""The tamper-evident history: every history row is chained (SHA-256 over its canonical content and the previous
row's hash), `verify_audit_trail` names the first broken row, and on PostgreSQL the history tables are append-only.

Tampering is done with raw SQL, as someone with database access would; on PostgreSQL as the owner of the tables,
lifting the append-only triggers (`portal.tests.tampering`). No test deletes a user who has history rows: the
history names the user, so users are deactivated, never deleted.
"""

import json
import threading
from io import StringIO
from itertools import pairwise
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from simple_history.utils import bulk_create_with_history

from incidents.tests.factories import open_incident
from inventory import services as inventory_services
from inventory.models import AISystem, Component, ComponentKind
from inventory.tests.factories import AISystemFactory, TeamFactory
from portal.core import auditchain, dbroles
from portal.core.history import save_tracked
from portal.core.models import ChainHead
from portal.tests.factories import make_user
from portal.tests.tampering import as_owner, tamper_db, tampering

HistoricalAISystem = AISystem.history.model
POSTGRES = connection.vendor == "postgresql"
only_postgres = pytest.mark.skipif(not POSTGRES, reason="append-only triggers and row locks exist on PostgreSQL only")


# --- helpers -----------------------------------------------------------------------------------------------------


def table(model=HistoricalAISystem):
    return connection.ops.quote_name(model._meta.db_table)


def verify(*args):
    """Run the command; (exit ok?, stdout, error message)."""
    out = StringIO()
    try:
        call_command("verify_audit_trail", *args, stdout=out)
    except CommandError as exc:
        return False, out.getvalue(), str(exc)
    return True, out.getvalue(), ""


def system_rows(system):
    return list(HistoricalAISystem.objects.filter(id=system.pk).order_by("history_id"))


def make_history(actor):
    """History written through the services: a system created and updated twice, a second system, an incident."""
    team = TeamFactory(actor=actor)
    system = AISystemFactory(actor=actor, owner_team=team, jurisdictions=["DE"])
    inventory_services.ai_system_update(actor=actor, system=system, purpose="Drafts replies.")
    inventory_services.ai_system_update(actor=actor, system=system, risk_class="transparency",
                                        jurisdictions=["DE", "FR"])
    other = AISystemFactory(actor=actor)
    incident = open_incident(actor, systems=[system])
    return system, other, incident


def forge(row, **changes):
    """An unsaved copy of history row `row` with `changes`, as a forger would build it."""
    values = {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields if not f.primary_key}
    values.update(changes)
    return type(row)(**values)


def insert_raw(cursor, row, history_id=None):
    """INSERT a history row with raw SQL (bypassing the chaining in `save()`)."""
    model = type(row)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or history_id is not None]
    if history_id is not None:
        row.history_id = history_id
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    values = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    cursor.execute(f"INSERT INTO {table(model)} ({columns}) VALUES ({marks})", values)
    cursor.execute(f"SELECT MAX(history_id) FROM {table(model)}")
    return cursor.fetchone()[0] if history_id is None else history_id


def open_gap(model=HistoricalAISystem, size=10):
    """Make the next history id skip `size` ids, so that a forged row can be put between two real ones."""
    with as_owner(), connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'history_id')", [model._meta.db_table])
            (sequence,) = cursor.fetchone()
            cursor.execute("SELECT setval(%s, (SELECT MAX(history_id) FROM " + table(model) + ") + %s)",
                           [sequence, size])
        else:
            cursor.execute("UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s", [size, model._meta.db_table])


@pytest.fixture
def actor(db):
    return make_user("chain-writer")


# --- an untouched database verifies ------------------------------------------------------------------------------


def test_history_written_through_services_verifies(actor):
    system, _other, _incident = make_history(actor)

    ok, out, error = verify()

    assert ok, error
    table_rows = list(HistoricalAISystem.objects.order_by("history_id"))
    assert len(system_rows(system)) == 5  # created, jurisdictions set, purpose, risk class, jurisdictions changed
    assert table_rows[0].chain_prev == ""
    for before, after in pairwise(table_rows):
        assert after.chain_prev == before.chain_hash
        assert after.chain_hash == auditchain.row_hash(after, before.chain_hash)
    head = auditchain.latest_head(HistoricalAISystem, "default")
    last = table_rows[-1]
    assert (head.last_history_id, head.last_hash, head.rows) == (last.history_id, last.chain_hash, len(table_rows))
    # heads are appended, never updated: one head row per history row appended here (after the empty table's)
    appended = ChainHead.objects.filter(label="inventory.HistoricalAISystem", last_history_id__isnull=False)
    assert list(appended.order_by("id").values_list("last_history_id", flat=True)) == [
        r.history_id for r in table_rows]
    assert f"head=#{last.history_id} {last.chain_hash}" in out
    assert "incidents.HistoricalIncident_systems" in out  # many-to-many snapshot tables are chained too
    assert "history chains verify" in out


def test_every_history_table_is_chained_and_verifies(actor):
    make_history(actor)

    reports = auditchain.verify_all()

    labels = {r.model for r in reports}
    assert {"inventory.HistoricalAISystem", "inventory.HistoricalAISystem_jurisdictions",
            "incidents.HistoricalIncident", "incidents.HistoricalIncident_systems",
            "reporting.HistoricalObligation"} <= labels
    tracked = [m for m in django_apps.get_models() if getattr(m._meta, "simple_history_manager_attribute", None)]
    assert {auditchain.history_model_of(m)._meta.label for m in tracked} <= labels
    assert all(r.ok for r in reports), [r for r in reports if not r.ok]
    written = {r.model: r.rows for r in reports}
    assert written["inventory.HistoricalAISystem"] == 6
    assert written["incidents.HistoricalIncident"] >= 1
    assert written["incidents.HistoricalIncident_systems"] >= 1


def test_json_output_and_one_model(actor):
    _system, _other, _incident = make_history(actor)
    out = StringIO()

    call_command("verify_audit_trail", "--json", "--model", "inventory.AISystem", stdout=out)

    data = json.loads(out.getvalue())
    assert [d["model"] for d in data] == ["inventory.HistoricalAISystem", "inventory.HistoricalAISystem_jurisdictions"]
    last = HistoricalAISystem.objects.order_by("-history_id").first()
    assert data[0] == {"model": "inventory.HistoricalAISystem", "ok": True, "rows": 6, "head_id": last.history_id,
                       "head_hash": last.chain_hash, "first_break": None, "resealed_at": None, "mode": "full",
                       "checked": 6, "since_history_id": None}
    ok, out, _ = verify("--model", "incidents.HistoricalIncident")
    assert ok and out.startswith("incidents.HistoricalIncident ")
    with pytest.raises(CommandError, match="no chained history table"):
        call_command("verify_audit_trail", "--model", "inventory.Jurisdiction", stdout=StringIO())


def test_bulk_history_and_direct_saves_are_chained(actor):
    components = [Component(kind=ComponentKind.MODEL, name=f"bulk-{n}", version="1") for n in range(3)]
    bulk_create_with_history(components, Component, default_user=actor)
    system = AISystem(name="Direct", slug="direct", purpose="p", risk_class="minimal", risk_rationale="r")
    system.save()  # outside any transaction: the history row and its chain link still commit together
    system.jurisdictions.add(*inventory_services.registry._jurisdictions(["DE"]))

    assert all(r.ok for r in auditchain.verify_all())
    assert auditchain.verify_chain(Component).rows == 3
    assert auditchain.verify_chain("inventory.HistoricalAISystem_jurisdictions").rows == 1


def test_a_batch_chains_to_each_tables_newest_head_among_many(actor):
    """`append_batches` reads each table's newest recorded head (one is appended per write) for several tables at
    once, as `_current` reads one table's."""
    from portal.core.auditchain.append import _current, _currents

    for n in range(4):  # several heads per table, interleaved
        open_incident(actor, title=f"Batch {n}")
    models_ = [django_apps.get_model("incidents", "HistoricalIncident"),
               django_apps.get_model("incidents", "HistoricalChecklistItem"),
               django_apps.get_model("inventory", "HistoricalTeam")]
    assert ChainHead.objects.filter(label=models_[0]._meta.label).count() >= 4

    with transaction.atomic():
        current = _currents(models_, "default")

    assert current == {model: _current(model, "default") for model in models_}
    newest = ChainHead.objects.filter(label=models_[0]._meta.label).order_by("-id").first()
    assert current[models_[0]] == (newest.last_history_id, newest.last_hash, newest.rows)


def test_history_rows_refuse_changes_through_the_orm(actor):
    system, _other, _incident = make_history(actor)
    row = system_rows(system)[0]

    row.history_change_reason = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        row.save()
    with pytest.raises(TypeError, match="append-only"):
        row.delete()
    with pytest.raises(TypeError, match="append-only"):
        HistoricalAISystem.objects.filter(pk=row.pk).update(name="x")
    with pytest.raises(TypeError, match="append-only"):
        HistoricalAISystem.objects.filter(pk=row.pk).delete()
    assert auditchain.verify_chain(HistoricalAISystem).ok


def test_chain_heads_refuse_changes_through_the_orm(actor):
    make_history(actor)
    head = auditchain.latest_head(HistoricalAISystem, "default")

    head.last_hash = "0" * 64
    with pytest.raises(TypeError, match="append-only"):
        head.save()
    with pytest.raises(TypeError, match="append-only"):
        head.delete()
    with pytest.raises(TypeError, match="append-only"):
        ChainHead.objects.filter(pk=head.pk).update(last_hash="")
    with pytest.raises(TypeError, match="append-only"):
        ChainHead.objects.all().delete()
    assert auditchain.verify_chain(HistoricalAISystem).ok


def test_a_user_with_history_cannot_be_deleted(actor):
    make_history(actor)

    with pytest.raises(models.ProtectedError):
        actor.delete()
    assert get_user_model().objects.filter(pk=actor.pk).exists()
    assert all(r.ok for r in auditchain.verify_all())


def test_canonical_serialization_is_what_the_database_gives_back(actor):
    """The hash is computed before the insert; verification recomputes it from what the database gives back
    (jsonb reorders keys and prints 1e16 as an integer, SQLite stores datetimes as text)."""
    system = AISystemFactory(actor=actor)
    system.personal_data_categories = {"b": 1, "a": [1.5, None, 1e16, -0.0, "é"]}
    save_tracked(system, actor=actor, validate=False)

    assert auditchain.verify_chain(HistoricalAISystem).ok
    read_back = system.history.order_by("-history_id").first()
    canonical = auditchain.canonical_bytes(read_back)
    data = json.loads(canonical)
    assert b'"personal_data_categories":{"a":[1.5,null,10000000000000000,0.0,"\\u00e9"],"b":1}' in canonical
    assert data["history_date"].endswith("+00:00")
    assert len(data["history_date"]) == len("2026-01-01T00:00:00.000000+00:00")  # microseconds, UTC
    assert not {"history_id", "chain_hash", "chain_prev"} & set(data)
    assert "history_change_reason" not in data  # NULL is left out


# --- tampering is detected and the row named ---------------------------------------------------------------------


@tamper_db
def test_a_modified_row_is_named(actor):
    system, _other, _incident = make_history(actor)
    victim = system_rows(system)[1]
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET purpose = %s WHERE history_id = %s", ["Forged.", victim.history_id])

    ok, out, error = verify()

    assert not ok
    assert (f"inventory.HistoricalAISystem object {system.pk} history id {victim.history_id}: hash mismatch"
            in error)
    assert "BROKEN" in out
    report = auditchain.verify_chain(HistoricalAISystem)
    assert not report.ok and report.first_break == (victim.history_id, system.pk, auditchain.MODIFIED)
    assert auditchain.verify_chain("inventory.HistoricalTeam").ok


@tamper_db
def test_a_modified_timestamp_or_actor_is_named(actor):
    system, _other, _incident = make_history(actor)
    first, second = system_rows(system)[:2]
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET history_user_id = NULL WHERE history_id = %s", [second.history_id])

    ok, _out, error = verify("--model", "inventory.HistoricalAISystem")

    assert not ok and f"history id {second.history_id}: hash mismatch" in error
    assert f"history id {first.history_id}" not in error


@tamper_db
def test_a_deleted_row_is_named_by_the_row_after_it(actor):
    system, _other, _incident = make_history(actor)
    rows = system_rows(system)
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {table()} WHERE history_id = %s", [rows[1].history_id])

    ok, _out, error = verify()

    assert not ok
    following = HistoricalAISystem.objects.filter(history_id__gt=rows[1].history_id).order_by("history_id").first()
    assert (f"inventory.HistoricalAISystem object {following.id} history id {following.history_id}: prev mismatch"
            in error)


@tamper_db
def test_deleting_the_last_rows_is_named_by_the_recorded_head(actor):
    make_history(actor)
    last = HistoricalAISystem.objects.order_by("-history_id").first()
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {table()} WHERE history_id = %s", [last.history_id])

    ok, _out, error = verify()

    assert not ok and f"history id {last.history_id}: chain head mismatch" in error


@tamper_db
def test_a_forged_copy_with_a_copied_hash_is_named(actor):
    system, _other, _incident = make_history(actor)
    original = system_rows(system)[2]
    open_gap()
    AISystemFactory(actor=actor)  # a real row after the gap
    forged = forge(original, purpose="Only answers FAQs.", risk_class="minimal")
    with tampering() as cursor:
        # the forged row goes into the gap, between two real rows, with the original's (plausible) links
        gap_id = HistoricalAISystem.objects.order_by("-history_id").first().history_id - 5
        forged_id = insert_raw(cursor, forged, history_id=gap_id)

    ok, _out, error = verify()

    assert not ok
    assert f"inventory.HistoricalAISystem object {system.pk} history id {forged_id}: hash mismatch" in error


@tamper_db
def test_a_forged_row_with_a_valid_hash_in_the_middle_is_named(actor):
    _system, _other, _incident = make_history(actor)
    open_gap()
    AISystemFactory(actor=actor)
    last = HistoricalAISystem.objects.order_by("-history_id").first()
    gap_id = last.history_id - 5
    before = HistoricalAISystem.objects.filter(history_id__lt=gap_id).order_by("-history_id").first()
    forged = forge(before, purpose="Never stored personal data.")
    forged.chain_prev = before.chain_hash
    forged.chain_hash = auditchain.row_hash(forged, before.chain_hash)  # recomputed: the row itself verifies
    with tampering() as cursor:
        insert_raw(cursor, forged, history_id=gap_id)

    ok, _out, error = verify()

    assert not ok
    assert f"object {before.id} history id {gap_id}: inserted" in error


@tamper_db
def test_a_forged_row_appended_with_a_valid_hash_is_named(actor):
    _system, _other, _incident = make_history(actor)
    last = HistoricalAISystem.objects.order_by("-history_id").first()
    forged = forge(last, purpose="Forged at the end.")
    forged.chain_prev = last.chain_hash
    forged.chain_hash = auditchain.row_hash(forged, last.chain_hash)
    with tampering() as cursor:
        forged_id = insert_raw(cursor, forged)

    ok, _out, error = verify()

    assert not ok
    assert f"object {last.id} history id {forged_id}: row after the recorded chain head" in error


@tamper_db
def test_rows_status_rehashes_the_rows_given_and_checks_every_link_in_the_database(actor):
    system, other, _incident = make_history(actor)
    full = auditchain.verify_chain(HistoricalAISystem)
    shown = system_rows(system)
    report = auditchain.rows_status(HistoricalAISystem, shown)
    assert report.ok and (report.rows, report.head_id, report.head_hash) == (full.rows, full.head_id, full.head_hash)

    # another object's row modified: not among the rows given, so not seen (verify_chain sees it)
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET name = %s WHERE history_id = %s",
                       ["Renamed", system_rows(other)[0].history_id])
    assert auditchain.rows_status(HistoricalAISystem, shown).ok
    assert not auditchain.verify_chain(HistoricalAISystem).ok

    # a row given modified: named
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET purpose = %s WHERE history_id = %s", ["Forged.", shown[1].history_id])
    report = auditchain.rows_status(HistoricalAISystem, system_rows(system))
    assert not report.ok and report.first_break == (shown[1].history_id, system.pk, auditchain.MODIFIED)

    # a row deleted anywhere: the row after it is named, whichever rows are given
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {table()} WHERE history_id = %s", [shown[0].history_id])
    report = auditchain.rows_status(HistoricalAISystem, [])
    following = HistoricalAISystem.objects.filter(history_id__gt=shown[0].history_id).order_by("history_id").first()
    assert report.first_break == (following.history_id, following.id, auditchain.PREV_MISMATCH)


@tamper_db
def test_rows_status_names_rows_after_the_head_and_a_missing_head_row(actor):
    make_history(actor)
    last = HistoricalAISystem.objects.order_by("-history_id").first()
    forged = forge(last, purpose="Forged at the end.")
    forged.chain_prev = last.chain_hash
    forged.chain_hash = auditchain.row_hash(forged, last.chain_hash)
    with tampering() as cursor:
        forged_id = insert_raw(cursor, forged)
    report = auditchain.rows_status(HistoricalAISystem)
    assert report.first_break == (forged_id, last.id, auditchain.AFTER_HEAD)

    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {table()} WHERE history_id >= %s", [last.history_id])
    report = auditchain.rows_status(HistoricalAISystem)
    assert report.first_break == (last.history_id, None, auditchain.HEAD_MISSING)


def test_rows_status_runs_the_same_queries_whatever_the_table_size(actor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_history(actor)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert auditchain.rows_status(HistoricalAISystem).ok
        return len(captured.captured_queries)

    small = queries()
    bulk_create_with_history([AISystem(name=f"Bulk {i}", slug=f"bulk-{i}", purpose="x") for i in range(300)],
                             AISystem)
    assert queries() == small


# --- PostgreSQL: append-only tables, concurrent appends ----------------------------------------------------------


@only_postgres
@tamper_db
def test_history_tables_and_heads_refuse_update_delete_and_truncate_even_to_their_owner(actor):
    """The triggers hold for whoever does not lift them, the owner included (the runtime role is refused before the
    trigger, for want of the privilege: test_database_roles)."""
    system, _other, _incident = make_history(actor)
    row = system_rows(system)[0]
    snapshot = django_apps.get_model("incidents", "HistoricalIncident_systems")
    heads = connection.ops.quote_name(ChainHead._meta.db_table)
    assert snapshot.objects.exists()
    with as_owner(), connection.cursor() as cursor:
        for sql in (f"UPDATE {table()} SET name = 'x' WHERE history_id = {row.history_id}",
                    f"DELETE FROM {table()} WHERE history_id = {row.history_id}",
                    f"DELETE FROM {table(snapshot)}",
                    f"TRUNCATE {table(snapshot)}",
                    f"UPDATE {heads} SET last_hash = ''",
                    f"DELETE FROM {heads}",
                    f"TRUNCATE {heads}"):
            with pytest.raises(DatabaseError, match="history rows are append-only"), transaction.atomic():
                cursor.execute(sql)
    assert all(r.ok for r in auditchain.verify_all())


@only_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_appends_keep_one_chain():
    actor = make_user("concurrent-writer")
    systems = [AISystemFactory(actor=actor) for _ in range(4)]
    rounds = 6
    barrier = threading.Barrier(len(systems))
    errors = []

    def writer(system_pk):
        try:
            system = AISystem.objects.get(pk=system_pk)
            barrier.wait()
            for n in range(rounds):
                inventory_services.ai_system_update(actor=actor, system=system, purpose=f"Purpose {n} of {system_pk}")
        except Exception as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(s.pk,)) for s in systems]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    report = auditchain.verify_chain(HistoricalAISystem)
    assert report.ok, report.first_break
    assert report.rows == len(systems) * (1 + rounds)
    prevs = list(HistoricalAISystem.objects.values_list("chain_prev", flat=True))
    assert len(set(prevs)) == len(prevs)  # no two rows chained to the same predecessor


# --- the migrations ---------------------------------------------------------------------------------------------


CHAINING = ("reporting", "0004_chain_existing_history")
BEFORE_CHAINING = ("reporting", "0003_history_chain")


def _latest(executor):
    return list(executor.loader.graph.leaf_nodes())


# It reverses and re-applies every migration after the chaining one (about 18 s of one test worker): it runs in the
# PostgreSQL suite (CI), where the append-only triggers come back with them, and not in the SQLite `make test`.
@pytest.mark.skipif(not POSTGRES, reason="reverses a dozen migrations; run by the PostgreSQL suite, with the triggers")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_chaining_migration_chains_rows_written_before_it():
    actor = make_user("migration-writer")
    make_history(actor)
    with as_owner():  # migrations run as the owner of the tables
        executor = MigrationExecutor(connection)
        executor.migrate([BEFORE_CHAINING])  # reverses the triggers and the chaining: links blanked, heads gone
        try:
            assert not ChainHead.objects.exists()
            assert set(HistoricalAISystem.objects.values_list("chain_hash", flat=True)) == {""}
            assert not auditchain.verify_chain(HistoricalAISystem).ok
        finally:
            executor.loader.build_graph()
            executor.migrate(_latest(executor))
            # Tables the forward migration created again are new tables: grant the runtime role, as `migrate` does.
            if connection.vendor == "postgresql" and dbroles.separate_roles():
                dbroles.grant_runtime()

    reports = auditchain.verify_all()
    assert all(r.ok for r in reports), [r for r in reports if not r.ok]
    assert auditchain.verify_chain(HistoricalAISystem).rows == 6
    # the rows chained by the migration are continued by new writes
    AISystemFactory(actor=actor)
    assert auditchain.verify_chain(HistoricalAISystem).ok
    if POSTGRES:  # the triggers are back
        with as_owner(), pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table()}")


@only_postgres
@tamper_db
def test_rechain_reseals_through_the_append_only_trigger(actor):
    _system, _other, _incident = make_history(actor)
    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET chain_hash = '', chain_prev = ''")
    assert not auditchain.verify_chain(HistoricalAISystem).ok

    state = MigrationLoader(connection).project_state()  # as a migration sees the models
    with as_owner(), connection.schema_editor() as editor:
        auditchain.rechain(state.apps, editor)

    assert all(r.ok for r in auditchain.verify_all())
    with as_owner(), pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table()}")


@tamper_db
def test_a_migration_reseal_makes_the_rows_the_new_truth_for_that_table_only_and_later_changes_are_still_caught(actor):
    """A schema change that alters stored values (a not-null column added with its default) re-seals that table
    with `rechain_only`: its older heads no longer count, the report says when it was re-sealed, the other tables
    and their heads are left alone, and a row changed after the re-seal is named again (ADR 0006)."""
    system, _other, _incident = make_history(actor)
    victim = HistoricalAISystem.objects.filter(id=system.pk).order_by("history_id").first()
    untouched = {r.model: r.head_hash for r in auditchain.verify_all() if r.model != HistoricalAISystem._meta.label}
    with tampering() as cursor:  # what the migration's new column does to the rows already written
        cursor.execute(f"UPDATE {table()} SET purpose = %s WHERE history_id = %s", ["Migrated.", victim.history_id])
    assert auditchain.verify_chain(HistoricalAISystem).first_break.reason == auditchain.MODIFIED

    state = MigrationLoader(connection).project_state()  # as a migration sees the models
    reseal = auditchain.rechain_only(HistoricalAISystem._meta.label)
    if POSTGRES:
        with as_owner(), connection.schema_editor() as editor:
            reseal(state.apps, editor)
    else:  # SQLite's schema editor cannot open inside the test's transaction; the re-seal needs only its connection
        reseal(state.apps, SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name))

    report = auditchain.verify_chain(HistoricalAISystem)
    assert report.ok and report.resealed_at is not None
    others = auditchain.verify_all()
    assert all(r.ok for r in others)
    assert {r.model: r.head_hash for r in others if r.model != HistoricalAISystem._meta.label} == untouched
    assert all(r.resealed_at is None for r in others if r.model != HistoricalAISystem._meta.label)
    ok, out, _error = verify()
    assert ok and "re-sealed by a migration on" in out

    with tampering() as cursor:
        cursor.execute(f"UPDATE {table()} SET purpose = %s WHERE history_id = %s", ["Forged.", victim.history_id])
    assert auditchain.verify_chain(HistoricalAISystem).first_break.reason == auditchain.MODIFIED
