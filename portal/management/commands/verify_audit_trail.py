"""`manage.py verify_audit_trail`: recompute the hash chain of every history table (see `portal.core.auditchain`).

Prints one line per history table: its row count and chain head (last history id and hash), so the heads can be
recorded elsewhere; `--json` prints the same as JSON. Exits non-zero naming the first broken row of each broken
table: model, object id, history id and what is wrong (hash mismatch: the row was modified; prev mismatch: a row
was deleted or inserted before it; rows after the recorded head; a recorded head that is gone).
`--model app_label.ModelName` (repeatable) checks one table: a history model, or a tracked model (its history
table and its many-to-many snapshot tables).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from portal.core import auditchain


class Command(BaseCommand):
    help = "Verify the tamper-evident hash chains of the history tables and print each chain head."

    def add_arguments(self, parser):
        parser.add_argument("--model", action="append", default=[], metavar="app_label.ModelName",
                            help="Check only this history table (or the history of this tracked model).")
        parser.add_argument("--json", action="store_true", help="Print the reports as JSON.")

    def handle(self, *args, **options):
        models = self._models(options["model"])
        reports = [auditchain.verify_chain(model) for model in models]
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in reports], indent=2))
        else:
            width = max((len(r.model) for r in reports), default=0)
            for r in reports:
                head = f"#{r.head_id} {r.head_hash}" if r.head_id is not None else "(empty)"
                state = "ok" if r.ok else f"BROKEN at {_describe(r, model=False)}"
                self.stdout.write(f"{r.model:<{width}}  rows={r.rows:<7} head={head}  {state}")
        broken = [r for r in reports if not r.ok]
        if broken:
            lines = [_describe(r) for r in broken]
            raise CommandError(
                f"Audit trail broken in {len(broken)} of {len(reports)} history tables:\n" + "\n".join(lines))
        if not options["json"]:
            self.stdout.write(self.style.SUCCESS(f"All {len(reports)} history chains verify."))

    def _models(self, names):
        if not names:
            return auditchain.chained_models()
        models = []
        for name in names:
            try:
                models.extend(m for m in auditchain.chains_of(name) if m not in models)
            except (LookupError, ValueError) as exc:
                raise CommandError(f"--model {name}: no chained history table of that name ({exc}).") from exc
        return models


def _describe(report, model=True):
    b = report.first_break
    obj = f"object {b.object_id} " if b.object_id is not None else ""
    where = f"{obj}history id {b.history_id}: {b.reason}"
    return f"{report.model} {where}" if model else where
