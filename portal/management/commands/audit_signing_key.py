"""`manage.py audit_signing_key`: create the Ed25519 key that signs audit checkpoints, or print its public key.

`--create FILE` writes a new private key (PEM, readable by its owner only; never overwrites) and prints its public
key and key id; point AUDIT_SIGNING_KEY_FILE at it, keep the file off the database server and out of backups of
the database, and give the public key to legal. Without `--create`, prints the public key of AUDIT_SIGNING_KEY_FILE.
`make run` creates a development key this way.
"""

from django.core.management.base import BaseCommand, CommandError

from portal.core.auditchain import checkpoints


class Command(BaseCommand):
    help = "Create the audit signing key (--create FILE), or print the public key of AUDIT_SIGNING_KEY_FILE."

    def add_arguments(self, parser):
        parser.add_argument("--create", metavar="FILE", help="Write a new Ed25519 private key to FILE.")
        parser.add_argument("--if-missing", action="store_true", help="With --create: do nothing if FILE exists.")

    def handle(self, *args, create, if_missing, **options):
        try:
            if create:
                from pathlib import Path

                if if_missing and Path(create).exists():
                    return
                key = checkpoints.generate_key(create)
                self.stderr.write(f"Audit signing key written to {create}; its public key follows.")
            else:
                key = checkpoints.signing_key()
        except checkpoints.CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(checkpoints.public_pem(key).decode("ascii").rstrip())
        self.stdout.write(f"key id (SHA-256 of the public key, DER): {checkpoints.key_id(key)}")
