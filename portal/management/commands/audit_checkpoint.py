"""`manage.py audit_checkpoint`: sign the head of every history chain and write it outside the database.

Writes `checkpoint-<UTC time>.json` (table, last history id, its hash, row count, time), its Ed25519 signature
`….json.sig` and the public key into `--output DIR` (default AUDIT_CHECKPOINT_DIR), with the key in
AUDIT_SIGNING_KEY_FILE. Run it on a schedule (README: "Signed checkpoints") and keep the files somewhere the
database's administrators cannot rewrite; `verify_audit_trail --checkpoints DIR` then checks that every chain still
extends every checkpoint. Exits non-zero with one line when the key is missing or a chain is broken at its head.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from portal.core.auditchain import checkpoints


class Command(BaseCommand):
    help = "Write a signed checkpoint of every history chain's head (outside the database)."

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="DIR", help="Directory to write into (default AUDIT_CHECKPOINT_DIR).")
        parser.add_argument("--reason", default="manual", help="What took it, recorded in the checkpoint.")
        parser.add_argument("--json", action="store_true", help="Print the checkpoint document.")

    def handle(self, *args, output, reason, **options):
        try:
            signed, path = checkpoints.take_and_keep(reason=reason, directory=output)
        except checkpoints.CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(signed.document, indent=2, sort_keys=True))
            return
        chains = signed.document["chains"]
        rows = sum(c["rows"] for c in chains)
        self.stdout.write(self.style.SUCCESS(
            f"Checkpoint {path} signed by key {signed.document['key_id'][:16]}: {len(chains)} chains, {rows} rows."))
