"""Tamper evidence for history rows: one SHA-256 hash chain per history table, append-only chain heads, and signed
checkpoints of the heads kept outside the database.

Every history table of a regulated model (and every many-to-many snapshot table simple-history keeps for one)
carries `chain_prev` and `chain_hash` (`portal.core.history.HistoryChainFields`); each row's hash covers its
canonical content and the previous row's hash (`canonical`). Rows are appended under a per-table lock with a new
head row per append (`append`); chains are verified whole or for the rows a page shows (`verify`), and against
signed checkpoints (`checkpoints`); `migrations` holds the helpers migrations run (re-sealing, triggers).

The modules, one job each:
- `canonical`: which tables are chained; the canonical serialization and the hash of a row;
- `append`: appending rows and recording heads;
- `verify`: `verify_chain`, `verify_all`, `rows_status`;
- `points`: verified points (`core.ChainVerification`), incremental verification, running over many tables,
  and the chain status of the audit pages (`tables_status`);
- `checkpoints`: signing, writing, reading and verifying checkpoints;
- `migrations`: `rechain`, `rechain_only`, `unchain`, `install_append_only_triggers`, `drop_append_only_triggers`.
"""

from portal.core.auditchain.append import append, append_batches, append_many, append_rows, latest_head
from portal.core.auditchain.canonical import (
    CHAIN_FIELDS,
    GENESIS,
    HASH_DOMAIN,
    canonical_bytes,
    canonical_value,
    chained_models,
    chains_of,
    hashed_fields,
    history_model_of,
    is_chained,
    object_attname,
    row_hash,
    values_hash,
)
from portal.core.auditchain.migrations import (
    TRIGGER,
    TRUNCATE_TRIGGER,
    drop_append_only_triggers,
    install_append_only_triggers,
    rechain,
    rechain_only,
    unchain,
)
from portal.core.auditchain.points import (
    TableStatus,
    latest_point,
    latest_verifications,
    tables_status,
    verify_increment,
    verify_tables,
)
from portal.core.auditchain.verify import (
    AFTER_HEAD,
    HEAD_MISSING,
    HEAD_ROWS,
    INSERTED,
    MODIFIED,
    NO_HEAD,
    NOT_CHAINED,
    POINT_CHANGED,
    POINT_GONE,
    POINT_ROWS,
    PREV_MISMATCH,
    STALE_HEAD_CHANGED,
    STALE_HEAD_GONE,
    ChainBreak,
    ChainReport,
    rows_status,
    verify_all,
    verify_chain,
)

__all__ = [
    "AFTER_HEAD",
    "CHAIN_FIELDS",
    "GENESIS",
    "HASH_DOMAIN",
    "HEAD_MISSING",
    "HEAD_ROWS",
    "INSERTED",
    "MODIFIED",
    "NOT_CHAINED",
    "NO_HEAD",
    "POINT_CHANGED",
    "POINT_GONE",
    "POINT_ROWS",
    "PREV_MISMATCH",
    "STALE_HEAD_CHANGED",
    "STALE_HEAD_GONE",
    "TRIGGER",
    "TRUNCATE_TRIGGER",
    "ChainBreak",
    "ChainReport",
    "TableStatus",
    "append",
    "append_batches",
    "append_many",
    "append_rows",
    "canonical_bytes",
    "canonical_value",
    "chained_models",
    "chains_of",
    "drop_append_only_triggers",
    "hashed_fields",
    "history_model_of",
    "install_append_only_triggers",
    "is_chained",
    "latest_head",
    "latest_point",
    "latest_verifications",
    "object_attname",
    "rechain",
    "rechain_only",
    "row_hash",
    "rows_status",
    "tables_status",
    "unchain",
    "values_hash",
    "verify_all",
    "verify_chain",
    "verify_increment",
    "verify_tables",
]
