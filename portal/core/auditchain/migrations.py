"""Migration helpers for the chains (migration-state models; `apps` and `schema_editor` as RunPython passes them).

- `rechain` (re)computes every chain in history id order and records the heads;
- `unchain` reverses it;
- `install_append_only_triggers` puts the PostgreSQL triggers on every chained table and on the chain heads: a
  row trigger refusing UPDATE and DELETE and a statement trigger refusing TRUNCATE (nothing on SQLite);
- `drop_append_only_triggers` reverses it.

Migrations run as the database owner role (`MIGRATION_DATABASE_URL`), the only role that may lift a trigger.
The heads were one updatable row per table before `core.0004`; the helpers work on either shape, since migrations
written before that change run them against the older state.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.utils import timezone

from portal.core.auditchain.canonical import CHAIN_FIELDS, GENESIS, chained_models, row_hash

TRIGGER = "portal_history_append_only"
TRUNCATE_TRIGGER = "portal_history_no_truncate"
HEADS = ("core", "ChainHead")
VERIFICATIONS = ("core", "ChainVerification")


def _is_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def _append_only_heads(head_model) -> bool:
    """Is this state's ChainHead the append-only shape (a row per recorded head)?"""
    return any(f.name == "rows" for f in head_model._meta.concrete_fields)


def _protected_models(apps) -> list:
    """The tables the triggers cover: every chained history table, the chain heads once they are append-only, and
    the verified points once they exist."""
    heads = apps.get_model(*HEADS)
    try:
        points = [apps.get_model(*VERIFICATIONS)]
    except LookupError:
        points = []
    return [*chained_models(apps), *([heads] if _append_only_heads(heads) else []), *points]


def _has_trigger(schema_editor, table, name) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgname = %s", [table, name])
        return cursor.fetchone() is not None


@contextmanager
def writable(schema_editor, model):
    """Lift the append-only trigger of `model`'s table (if any) for the rest of the migration's transaction."""
    table = model._meta.db_table
    lifted = _is_postgres(schema_editor) and _has_trigger(schema_editor, table, TRIGGER)
    quoted = schema_editor.quote_name(table)
    if lifted:
        # ALTER TABLE refuses while rows written earlier in the transaction have deferred FK checks pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE {quoted} DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        if lifted:
            schema_editor.execute(f"ALTER TABLE {quoted} ENABLE TRIGGER {TRIGGER}")
            schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def _record_head(heads, using, *, label, last_id, last_hash, rows):
    if _append_only_heads(heads):
        # A re-seal of rows already chained is marked on the head it records (once the heads table has the column):
        # verification compares the rows with the heads from this one on (`verify.stale_head`), and says when the
        # table was re-sealed. Chaining a table for the first time, or one whose heads named no row, is no re-seal.
        marked = {}
        if any(f.name == "resealed" for f in heads._meta.get_fields()):
            earlier = heads.objects.using(using).filter(label=label).order_by("-id").first()
            marked = {"resealed": earlier is not None and earlier.last_history_id is not None}
        heads.objects.using(using).create(label=label, last_history_id=last_id, last_hash=last_hash, rows=rows,
                                          recorded_at=timezone.now(), **marked)
    else:
        heads.objects.using(using).update_or_create(label=label,
                                                    defaults={"last_history_id": last_id, "last_hash": last_hash})


def rechain(apps, schema_editor):
    """(Re)compute every chain in history id order and record the heads. Used to chain the rows written before
    the chain existed, and to re-seal after a schema change that alters stored values of existing history rows
    (a renamed or removed field, a non-null field added with a default): run `verify_audit_trail` before such a
    migration, since re-sealing makes whatever the table holds the new truth (and take a checkpoint after it:
    verifying against older checkpoints then names the re-sealed tables)."""
    _rechain(apps, schema_editor)


def rechain_only(*labels: str):
    """A `RunPython` function re-sealing only the named history tables ("app_label.HistoricalModel"): the ones whose
    stored values a schema change altered. The other chains, and their recorded heads, stay as they were."""
    def run(apps, schema_editor):
        _rechain(apps, schema_editor, labels=frozenset(labels))
    run.__name__ = f"rechain_only({', '.join(labels)})"
    return run


def _rechain(apps, schema_editor, labels=None):
    using = schema_editor.connection.alias
    heads = apps.get_model(*HEADS)
    for model in chained_models(apps):
        if labels is not None and model._meta.label not in labels:
            continue
        manager = model._default_manager.using(using)
        prev, last_id, count, batch = GENESIS, None, 0, []
        with writable(schema_editor, model):
            for row in manager.order_by("pk").iterator(chunk_size=2000):
                row.chain_prev = prev
                row.chain_hash = prev = row_hash(row, prev)
                last_id = row.pk
                count += 1
                batch.append(row)
                if len(batch) >= 500:
                    manager.bulk_update(batch, CHAIN_FIELDS)
                    batch = []
            if batch:
                manager.bulk_update(batch, CHAIN_FIELDS)
        _record_head(heads, using, label=model._meta.label, last_id=last_id, last_hash=prev, rows=count)


def unchain(apps, schema_editor):
    """Reverse of `rechain`: blank every link and forget the heads."""
    using = schema_editor.connection.alias
    for model in chained_models(apps):
        with writable(schema_editor, model):
            model._default_manager.using(using).update(chain_prev=GENESIS, chain_hash=GENESIS)
    heads = apps.get_model(*HEADS)
    with writable(schema_editor, heads):
        heads.objects.using(using).all().delete()


def install_append_only_triggers(apps, schema_editor):
    """PostgreSQL: on every chained history table (and the append-only chain heads and verified points) a row
    trigger refusing UPDATE and DELETE and a statement trigger refusing TRUNCATE. Idempotent; nothing on other
    databases. A later regulated model's migration runs it again to cover its new tables."""
    _install(schema_editor, _protected_models(apps))


def install_append_only_triggers_on(*labels: str):
    """A `RunPython` function putting the append-only triggers on the named tables only ("app_label.Model")."""
    def run(apps, schema_editor):
        _install(schema_editor, [apps.get_model(label) for label in labels])
    run.__name__ = f"install_append_only_triggers_on({', '.join(labels)})"
    return run


def drop_append_only_triggers_on(*labels: str):
    """Reverse of `install_append_only_triggers_on` (the shared trigger function stays)."""
    def run(apps, schema_editor):
        if not _is_postgres(schema_editor):
            return
        for label in labels:
            table = schema_editor.quote_name(apps.get_model(label)._meta.db_table)
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {table}")
    run.__name__ = f"drop_append_only_triggers_on({', '.join(labels)})"
    return run


def _install(schema_editor, models):
    if not _is_postgres(schema_editor):
        return
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'history rows are append-only (% on %)', TG_OP, TG_TABLE_NAME; END; $$",
        None,  # no parameters: the % are PL/pgSQL's
    )
    for model in models:
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()")


def drop_append_only_triggers(apps, schema_editor):
    """Reverse of `install_append_only_triggers`."""
    if not _is_postgres(schema_editor):
        return
    for model in _protected_models(apps):
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
