"""Signed checkpoints of the chain heads, kept outside the database.

A checkpoint is a small JSON document naming, for every chained history table, its head when the checkpoint was
taken (the table's model label and database table, the last history id, that row's hash, the row count) and the
time. It is signed with an Ed25519 key that is not in the database (`AUDIT_SIGNING_KEY_FILE`, a PEM private key),
and written as two files: `checkpoint-<UTC time>.json` (the exact bytes signed) and `checkpoint-<UTC
time>.json.sig` (the raw 64-byte signature), next to the public key (`audit-signing-key-<id>.pub.pem`). Anyone with
the public key verifies one with a standard tool, without the portal:

    openssl pkeyutl -verify -pubin -inkey audit-signing-key.pub.pem -rawin \\
        -in checkpoint-20261207T020000000000Z.json -sigfile checkpoint-20261207T020000000000Z.json.sig

`verify_checkpoints` checks that every table's chain still extends each checkpoint: the row at the checkpoint's
head id exists with the same hash (so every row up to it is as it was, when the chain verifies), and the table has
no fewer rows. Deleting the last rows and moving the head back, recomputing the chain after changing a row, and
truncating a table each break that, whoever did it: the runtime role cannot, the owner role or a superuser can
but is seen. The key id is the SHA-256 of the public key in DER (SubjectPublicKeyInfo):
`openssl pkey -pubin -in audit-signing-key.pub.pem -outform DER | sha256sum`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.apps import apps as django_apps
from django.conf import settings
from django.db import router
from django.utils import timezone

from portal.core.auditchain.append import head_model
from portal.core.auditchain.canonical import GENESIS, chained_models
from portal.core.auditchain.verify import consistent_read

FORMAT = "portal-audit-checkpoint/1"
PREFIX = "checkpoint-"
SIGNATURE_SUFFIX = ".sig"

TRUNCATED = "truncated: the table is empty, it held {rows} rows at the checkpoint"
TAIL_DELETED = ("the row at the checkpoint's head (history id {head}) is gone: rows were deleted after the "
                "checkpoint (the head was moved back)")
RECOMPUTED = ("the row at the checkpoint's head (history id {head}) has another hash: the chain was recomputed "
              "after the checkpoint")
FEWER_ROWS = "{now} rows where the checkpoint counted {rows}: rows were deleted after the checkpoint"
TABLE_GONE = "the history table is gone"


class CheckpointError(Exception):
    """A checkpoint cannot be taken, read or trusted; the message says why, naming the file or setting."""


# --- the key ------------------------------------------------------------------------------------------------------

def generate_key(path) -> Ed25519PrivateKey:
    """Write a new Ed25519 private key to `path` (PEM, PKCS#8, readable by its owner only); refuse to overwrite."""
    path = Path(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CheckpointError(f"{path} exists already; a signing key is never overwritten.") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def signing_key() -> Ed25519PrivateKey:
    """The key `AUDIT_SIGNING_KEY_FILE` names."""
    path = getattr(settings, "AUDIT_SIGNING_KEY_FILE", "")
    if not path:
        raise CheckpointError("AUDIT_SIGNING_KEY_FILE is not set: checkpoints are signed with a key kept outside "
                              "the database (see the README, 'Signed checkpoints').")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CheckpointError(f"AUDIT_SIGNING_KEY_FILE {path}: {exc.strerror or exc}.") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"AUDIT_SIGNING_KEY_FILE {path} is not a PEM private key without a password.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"AUDIT_SIGNING_KEY_FILE {path} is not an Ed25519 key.")
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the public key in DER, as `openssl pkey -pubin -outform DER | sha256sum` prints it."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return sha256(public.public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()


def load_public_key(path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except OSError as exc:
        raise CheckpointError(f"{path}: {exc.strerror or exc}.") from exc
    except ValueError as exc:
        raise CheckpointError(f"{path} is not a PEM public key.") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError(f"{path} is not an Ed25519 public key.")
    return key


# --- taking one ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signed:
    """A signed checkpoint: the exact bytes, their signature, the public key (PEM) and the document."""

    body: bytes
    signature: bytes
    public_key_pem: bytes
    document: dict

    @property
    def name(self) -> str:
        stamp = self.document["taken_at"].replace("-", "").replace(":", "").replace(".", "")
        return f"{PREFIX}{stamp}.json"


def heads(using=None) -> list[dict]:
    """Every chained table's recorded head, in one snapshot; refuses when a head does not name its table's last
    row as recorded (the chain is broken at its end: `verify_audit_trail` says where)."""
    heads_model = head_model()
    using = using or router.db_for_read(heads_model)
    entries, broken = [], []
    with consistent_read(using):
        for model in chained_models():
            manager = model._default_manager.using(using)
            head = heads_model.objects.using(using).filter(label=model._meta.label).order_by("-id").first()
            if head is None or head.last_history_id is None:
                if manager.exists():
                    broken.append(model._meta.label)
                entries.append(_entry(model, None, GENESIS, 0))
                continue
            stored = manager.filter(pk=head.last_history_id).values_list("chain_hash", flat=True).first()
            if stored != head.last_hash:
                broken.append(model._meta.label)
            entries.append(_entry(model, head.last_history_id, head.last_hash, head.rows))
    if broken:
        raise CheckpointError("No checkpoint taken: the chain head does not match the table's rows in "
                              f"{', '.join(broken)} (run verify_audit_trail).")
    return entries


def _entry(model, last_id, last_hash, rows) -> dict:
    return {"model": model._meta.label, "table": model._meta.db_table, "last_history_id": last_id,
            "hash": last_hash, "rows": rows}


def sign(document: dict, key: Ed25519PrivateKey | None = None) -> Signed:
    key = key or signing_key()
    body = (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")
    return Signed(body=body, signature=key.sign(body), public_key_pem=public_pem(key), document=document)


def take(*, reason: str, using=None, key: Ed25519PrivateKey | None = None) -> Signed:
    """A signed checkpoint of every chain's head now (`reason`: what took it, e.g. "schedule", "audit bundle
    AIIR-2026-0001")."""
    key = key or signing_key()
    taken_at = timezone.now().astimezone(UTC)
    document = {
        "format": FORMAT, "taken_at": taken_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "reason": reason, "key_id": key_id(key), "database": _database_name(using),
        "chains": heads(using),
    }
    return sign(document, key)


def _database_name(using) -> str:
    from django.db import connections

    alias = using or router.db_for_read(head_model())
    return str(connections[alias].settings_dict.get("NAME") or "")


def write(signed: Signed, directory) -> Path:
    """Write the checkpoint, its signature and the public key into `directory`; return the checkpoint's path.
    The signature is written first, so a reader never finds a checkpoint without its signature."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / signed.name
        _write_new(directory / (signed.name + SIGNATURE_SUFFIX), signed.signature)
        _write_new(target, signed.body)
        key_file = directory / f"audit-signing-key-{signed.document['key_id'][:16]}.pub.pem"
        if not key_file.exists():
            _write_new(key_file, signed.public_key_pem)
    except OSError as exc:
        raise CheckpointError(f"Cannot write the checkpoint into {directory}: {exc.strerror or exc}.") from exc
    return target


def _write_new(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def checkpoint_directory() -> Path:
    directory = getattr(settings, "AUDIT_CHECKPOINT_DIR", "")
    if not directory:
        raise CheckpointError("AUDIT_CHECKPOINT_DIR is not set: say where checkpoints are kept (outside the "
                              "database), or pass --output.")
    return Path(directory)


def take_and_keep(*, reason: str, directory=None) -> tuple[Signed, Path]:
    """Take a checkpoint and write it into `directory` (default: AUDIT_CHECKPOINT_DIR)."""
    signed = take(reason=reason)
    return signed, write(signed, directory or checkpoint_directory())


# --- reading and verifying ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Checkpoint:
    path: Path
    document: dict

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def taken_at(self) -> str:
        return self.document["taken_at"]


@dataclass(frozen=True)
class CheckpointBreak:
    """A table whose chain no longer extends a checkpoint."""

    model: str
    checkpoint: str
    taken_at: str
    reason: str

    def __str__(self) -> str:
        return f"{self.model}: does not extend checkpoint {self.checkpoint} (taken {self.taken_at}): {self.reason}"

    def as_dict(self) -> dict:
        return {"model": self.model, "checkpoint": self.checkpoint, "taken_at": self.taken_at, "reason": self.reason}


def load(directory, public_keys: list[Ed25519PublicKey]) -> list[Checkpoint]:
    """Every checkpoint in `directory`, oldest first, each verified against one of `public_keys`: a checkpoint
    without a valid signature by a trusted key is refused, naming the file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"{directory} is not a directory of checkpoints.")
    if not public_keys:
        raise CheckpointError("No public key to verify the checkpoints with: set AUDIT_SIGNING_KEY_FILE or pass "
                              "--public-key.")
    trusted = {key_id(k): k for k in public_keys}
    found = []
    for path in sorted(directory.glob(f"{PREFIX}*.json")):
        body = path.read_bytes()
        signature_path = path.with_name(path.name + SIGNATURE_SUFFIX)
        try:
            signature = signature_path.read_bytes()
        except OSError:
            raise CheckpointError(f"{path.name}: its signature {signature_path.name} is missing.") from None
        try:
            document = json.loads(body)
        except ValueError:
            raise CheckpointError(f"{path.name}: not a JSON document.") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise CheckpointError(f"{path.name}: not a checkpoint of this portal (format {FORMAT}).")
        key = trusted.get(document.get("key_id"))
        if key is None:
            raise CheckpointError(f"{path.name}: signed by key {str(document.get('key_id'))[:16]}…, which is not "
                                  "one of the trusted public keys.")
        try:
            key.verify(signature, body)
        except InvalidSignature:
            raise CheckpointError(f"{path.name}: the signature does not verify: the checkpoint was altered "
                                  "or is not the one signed.") from None
        found.append(Checkpoint(path=path, document=document))
    if not found:
        raise CheckpointError(f"{directory} holds no checkpoint ({PREFIX}*.json).")
    return sorted(found, key=lambda c: c.taken_at)


def verify(checkpoints: list[Checkpoint], *, labels=None, using=None) -> list[CheckpointBreak]:
    """The tables whose chain no longer extends a checkpoint (see the module docstring). `labels`: only these
    history models. A few queries per table, whatever the number of checkpoints."""
    breaks = []
    by_model: dict[str, list] = {}
    for checkpoint in checkpoints:
        for entry in checkpoint.document.get("chains", []):
            if labels is None or entry["model"] in labels:
                by_model.setdefault(entry["model"], []).append((checkpoint, entry))
    for label, entries in sorted(by_model.items()):
        try:
            model = django_apps.get_model(label)
        except (LookupError, ValueError):
            model = None
        if model is None:
            breaks += [CheckpointBreak(label, c.name, c.taken_at, TABLE_GONE) for c, e in entries if e["rows"]]
            continue
        alias = using or router.db_for_read(model)
        manager = model._default_manager.using(alias)
        with consistent_read(alias):
            rows_now = manager.count()
            ids = {e["last_history_id"] for _c, e in entries if e["last_history_id"] is not None}
            hashes = {}
            for chunk in _chunks(sorted(ids), 1000):
                hashes.update(manager.filter(pk__in=chunk).values_list("pk", "chain_hash"))
        for checkpoint, entry in entries:
            reason = _entry_break(entry, rows_now, hashes)
            if reason:
                breaks.append(CheckpointBreak(label, checkpoint.name, checkpoint.taken_at, reason))
    return breaks


def _entry_break(entry, rows_now, hashes) -> str | None:
    head, rows = entry["last_history_id"], entry["rows"]
    if head is None:
        return None
    if rows_now == 0:
        return TRUNCATED.format(rows=rows)
    actual = hashes.get(head)
    if actual is None:
        return TAIL_DELETED.format(head=head)
    if actual != entry["hash"]:
        return RECOMPUTED.format(head=head)
    if rows_now < rows:
        return FEWER_ROWS.format(now=rows_now, rows=rows)
    return None


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def trusted_keys(extra_paths=()) -> list[Ed25519PublicKey]:
    """The public keys checkpoints are verified with: the configured signing key's, and any given."""
    keys = [load_public_key(p) for p in extra_paths]
    if getattr(settings, "AUDIT_SIGNING_KEY_FILE", ""):
        try:
            keys.append(signing_key().public_key())
        except CheckpointError:
            if not keys:
                raise
    return keys

