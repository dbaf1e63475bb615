# ruff: noqa: S608  (raw SQL on the models' own table names, never on input: tampering as an owner would)
"""Signed checkpoints of the chain heads, kept outside the database: `audit_checkpoint` writes them,
`verify_audit_trail --checkpoints DIR` checks every chain still extends each one, and anyone with the public key
verifies a checkpoint with openssl alone.

The tampering here is what the owner role or a superuser can do undetected by the chain alone (they can rewrite the
rows and the recorded heads together): delete the last rows and move the head back, recompute a changed row's hash,
truncate a table. Each leaves the chain self-consistent, and each is named against the checkpoint.
"""

import json
import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from inventory import services as inventory_services
from inventory.models import AISystem
from inventory.tests.factories import AISystemFactory
from portal.core import auditchain
from portal.core.auditchain import checkpoints
from portal.core.models import ChainHead
from portal.tests.factories import make_user
from portal.tests.tampering import tamper_db, tampering

pytestmark = pytest.mark.django_db

HISTORY = AISystem.history.model
SNAPSHOTS = auditchain.chains_of(AISystem)[1]  # the jurisdictions snapshots of AI system history rows
OPENSSL = shutil.which("openssl")


def quoted(model):
    return connection.ops.quote_name(model._meta.db_table)


def take(directory) -> Path:
    out = StringIO()
    call_command("audit_checkpoint", "--output", str(directory), stdout=out)
    assert "signed by key" in out.getvalue()
    return next(iter(sorted(Path(directory).glob("checkpoint-*.json"))))


def verify(directory, *extra):
    """(exit ok?, stdout, error) of `verify_audit_trail --checkpoints directory`."""
    out = StringIO()
    try:
        call_command("verify_audit_trail", "--checkpoints", str(directory), *extra, stdout=out)
    except CommandError as exc:
        return False, out.getvalue(), str(exc)
    return True, out.getvalue(), ""


@pytest.fixture
def actor(db):
    return make_user("checkpoint-writer")


@pytest.fixture
def systems(actor):
    """Three AI systems with some history (each with jurisdictions, so the snapshot table has rows)."""
    made = [AISystemFactory(actor=actor, jurisdictions=["DE"]) for _ in range(3)]
    inventory_services.ai_system_update(actor=actor, system=made[0], purpose="Drafts replies to customers.")
    return made


def test_a_checkpoint_names_every_chain_head_and_is_signed(systems, tmp_path):
    path = take(tmp_path)

    document = json.loads(path.read_bytes())
    assert document["format"] == checkpoints.FORMAT and document["reason"] == "manual"
    chains = {c["model"]: c for c in document["chains"]}
    assert set(chains) == {m._meta.label for m in auditchain.chained_models()}
    last = HISTORY.objects.order_by("-history_id").first()
    assert chains[HISTORY._meta.label] == {
        "model": HISTORY._meta.label, "table": HISTORY._meta.db_table, "last_history_id": last.history_id,
        "hash": last.chain_hash, "rows": HISTORY.objects.count()}
    signature = path.with_name(path.name + ".sig").read_bytes()
    key = checkpoints.signing_key()
    key.public_key().verify(signature, path.read_bytes())  # raises if it does not verify
    public = next(tmp_path.glob("audit-signing-key-*.pub.pem"))
    assert public.read_bytes() == checkpoints.public_pem(key)
    assert document["key_id"] == checkpoints.key_id(key)


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
def test_legal_verifies_a_checkpoint_offline_with_openssl(systems, tmp_path):
    path = take(tmp_path)
    public = next(tmp_path.glob("audit-signing-key-*.pub.pem"))

    def openssl_verify(document):
        return subprocess.run(
            [OPENSSL, "pkeyutl", "-verify", "-pubin", "-inkey", str(public), "-rawin", "-in", str(document),
             "-sigfile", str(path) + ".sig"], capture_output=True, text=True, check=False)

    good = openssl_verify(path)
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout
    forged = tmp_path / "forged.json"
    forged.write_bytes(path.read_bytes().replace(b'"rows": ', b'"rows": 1', 1))
    assert openssl_verify(forged).returncode != 0
    key_id = subprocess.run(f"{OPENSSL} pkey -pubin -in {public} -outform DER | sha256sum", shell=True,  # noqa: S602
                            capture_output=True, text=True, check=True).stdout.split()[0]
    assert key_id == json.loads(path.read_bytes())["key_id"]


def test_chains_that_grew_since_the_checkpoint_extend_it(actor, systems, tmp_path):
    take(tmp_path)
    AISystemFactory(actor=actor, jurisdictions=["FR"])
    inventory_services.ai_system_update(actor=actor, system=systems[1], purpose="Scores loan applications.")
    take(tmp_path)  # a second checkpoint; both are checked

    ok, out, error = verify(tmp_path)

    assert ok, error
    assert "2 signed checkpoints checked" in out and "extend every signed checkpoint" in out


@tamper_db
def test_deleting_the_last_rows_and_moving_the_head_back_is_named(actor, systems, tmp_path):
    path = take(tmp_path)
    last_two = list(HISTORY.objects.order_by("-history_id").values_list("history_id", flat=True)[:2])
    with tampering() as cursor:  # rows and their heads removed together: the chain alone is consistent again
        cursor.execute(f"DELETE FROM {quoted(HISTORY)} WHERE history_id IN (%s, %s)", last_two)
        cursor.execute(f"DELETE FROM {quoted(ChainHead)} WHERE label = %s AND last_history_id IN (%s, %s)",
                       [HISTORY._meta.label, *last_two])

    assert auditchain.verify_chain(HISTORY).ok  # undetectable without the checkpoint
    ok, _out, error = verify(tmp_path)

    assert not ok
    assert (f"{HISTORY._meta.label}: does not extend checkpoint {path.name}" in error
            and f"history id {max(last_two)}) is gone" in error)


@tamper_db
def test_recomputing_the_last_row_after_changing_it_is_named(actor, systems, tmp_path):
    path = take(tmp_path)
    last = HISTORY.objects.order_by("-history_id").first()
    last.purpose = "Never processed personal data."
    rewritten = auditchain.row_hash(last, last.chain_prev)
    with tampering() as cursor:  # the row changed, its hash recomputed, every head naming it made to agree
        cursor.execute(f"UPDATE {quoted(HISTORY)} SET purpose = %s, chain_hash = %s WHERE history_id = %s",
                       [last.purpose, rewritten, last.history_id])
        cursor.execute(f"UPDATE {quoted(ChainHead)} SET last_hash = %s WHERE label = %s AND last_history_id = %s",
                       [rewritten, HISTORY._meta.label, last.history_id])

    assert auditchain.verify_chain(HISTORY).ok  # undetectable without the checkpoint
    ok, _out, error = verify(tmp_path)

    assert not ok
    assert (f"{HISTORY._meta.label}: does not extend checkpoint {path.name}" in error
            and "has another hash: the chain was recomputed after the checkpoint" in error)


@tamper_db
def test_truncating_a_table_is_named(actor, systems, tmp_path):
    path = take(tmp_path)
    rows = SNAPSHOTS.objects.count()
    assert rows
    with tampering() as cursor:
        cursor.execute(f"TRUNCATE {quoted(SNAPSHOTS)}" if connection.vendor == "postgresql"
                       else f"DELETE FROM {quoted(SNAPSHOTS)}")
        cursor.execute(f"DELETE FROM {quoted(ChainHead)} WHERE label = %s", [SNAPSHOTS._meta.label])

    ok, _out, error = verify(tmp_path)

    assert not ok
    assert f"{SNAPSHOTS._meta.label}: does not extend checkpoint {path.name}" in error
    assert f"truncated: the table is empty, it held {rows} rows at the checkpoint" in error


def test_an_altered_checkpoint_or_an_unknown_key_is_refused(systems, tmp_path):
    path = take(tmp_path)
    original = path.read_bytes()
    path.write_bytes(original.replace(b'"reason": "manual"', b'"reason": "manuel"'))

    ok, _out, error = verify(tmp_path)
    assert not ok and f"{path.name}: the signature does not verify" in error

    path.write_bytes(original)
    other = tmp_path / "other-key"
    other.mkdir()
    foreign_key = checkpoints.generate_key(other / "key.pem")
    signed = checkpoints.sign({**json.loads(original), "key_id": checkpoints.key_id(foreign_key)}, foreign_key)
    foreign = checkpoints.write(signed, other)
    ok, _out, error = verify(other)
    assert not ok and f"{foreign.name}: signed by key" in error and "not one of the trusted public keys" in error

    public = other / "foreign.pub.pem"
    public.write_bytes(checkpoints.public_pem(foreign_key))
    ok, _out, error = verify(other, "--public-key", str(public))
    assert ok, error


def test_a_missing_signature_or_an_empty_directory_is_named(systems, tmp_path):
    ok, _out, error = verify(tmp_path)
    assert not ok and "holds no checkpoint" in error
    path = take(tmp_path)
    os.remove(str(path) + ".sig")
    ok, _out, error = verify(tmp_path)
    assert not ok and f"{path.name}: its signature {path.name}.sig is missing" in error


def test_no_checkpoint_without_a_signing_key(systems, tmp_path, settings):
    settings.AUDIT_SIGNING_KEY_FILE = ""
    with pytest.raises(CommandError, match="AUDIT_SIGNING_KEY_FILE is not set"):
        call_command("audit_checkpoint", "--output", str(tmp_path), stdout=StringIO())
    settings.AUDIT_SIGNING_KEY_FILE = str(tmp_path / "missing.pem")
    with pytest.raises(CommandError, match=r"missing\.pem: No such file"):
        call_command("audit_checkpoint", "--output", str(tmp_path), stdout=StringIO())
    assert not list(tmp_path.glob("checkpoint-*"))


@tamper_db
def test_no_checkpoint_of_a_chain_broken_at_its_head(actor, systems, tmp_path):
    last = HISTORY.objects.order_by("-history_id").first()
    with tampering() as cursor:
        cursor.execute(f"UPDATE {quoted(HISTORY)} SET chain_hash = %s WHERE history_id = %s",
                       ["0" * 64, last.history_id])
    with pytest.raises(CommandError, match=f"does not match the table's rows in {HISTORY._meta.label}"):
        call_command("audit_checkpoint", "--output", str(tmp_path), stdout=StringIO())


def test_the_signing_key_is_created_once_and_kept_private(tmp_path):
    path = tmp_path / "keys" / "audit.pem"
    out = StringIO()
    call_command("audit_signing_key", "--create", str(path), stdout=out, stderr=StringIO())

    assert "BEGIN PUBLIC KEY" in out.getvalue() and "key id" in out.getvalue()
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(CommandError, match="exists already"):
        call_command("audit_signing_key", "--create", str(path), stdout=StringIO(), stderr=StringIO())
    call_command("audit_signing_key", "--create", str(path), "--if-missing", stdout=StringIO())
    assert b"PRIVATE KEY" in path.read_bytes()
