"""`manage.py verify_audit_trail`: recompute the hash chain of every history table (see `portal.core.auditchain`).

Prints one line per history table: its row count and chain head (last history id and hash); `--json` prints the
same as JSON. Exits non-zero naming the first broken row of each broken table: model, object id, history id and
what is wrong (hash mismatch: the row was modified; prev mismatch: a row was deleted or inserted before it; rows
after the recorded head; a recorded head that is gone; an earlier head the table no longer matches).
`--model app_label.ModelName` (repeatable) checks one table: a history model, or a tracked model (its history
table and its many-to-many snapshot tables).
Every run records, per table, a verified point (`core.ChainVerification`: last history id, hash, rows, time) or
the break it found. `--incremental` verifies each table from its newest verified point to its head: the row at
the point must still have its hash and be the point's row number, and only the rows after it are recomputed (a
table without a point, or re-sealed since, is verified whole); the rows before the point were checked by the run
that recorded it. `--jobs N` verifies N tables at a time in separate processes (default: one per core, up to 4;
1 inside a transaction or on an in-memory SQLite database); `--no-record` records nothing.
`--checkpoints DIR` also checks every signed checkpoint in DIR (`audit_checkpoint`): its signature, by the key of
AUDIT_SIGNING_KEY_FILE or a `--public-key FILE`, and that every table's chain still extends it (the row at the
checkpoint's head id exists with the same hash, and no fewer rows); it names the table and the checkpoint when rows
were truncated, the tail deleted, or the chain recomputed after the checkpoint.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from portal.core import auditchain
from portal.core.auditchain import checkpoints, points


class Command(BaseCommand):
    help = "Verify the tamper-evident hash chains of the history tables and print each chain head."

    def add_arguments(self, parser):
        parser.add_argument("--model", action="append", default=[], metavar="app_label.ModelName",
                            help="Check only this history table (or the history of this tracked model).")
        parser.add_argument("--json", action="store_true", help="Print the reports as JSON.")
        parser.add_argument("--incremental", action="store_true",
                            help="Verify each table from its last verified point (the rows appended since).")
        parser.add_argument("--jobs", type=int, default=None, metavar="N",
                            help="Tables verified at a time, each in its own process (default: one per core).")
        parser.add_argument("--no-record", action="store_true",
                            help="Do not record the verified points (or the breaks found).")
        parser.add_argument("--checkpoints", metavar="DIR",
                            help="Also check that every chain extends each signed checkpoint in DIR.")
        parser.add_argument("--public-key", action="append", default=[], metavar="FILE",
                            help="A PEM public key the checkpoints may be signed with (repeatable); the key of "
                                 "AUDIT_SIGNING_KEY_FILE is trusted too.")

    def handle(self, *args, **options):
        models = self._models(options["model"])
        loaded = self._checkpoints(options["checkpoints"], options["public_key"])
        jobs = options["jobs"]
        if jobs is not None and jobs < 1:
            raise CommandError(f"--jobs {jobs}: give a number of processes of 1 or more.")
        reports = points.verify_tables(models, incremental=options["incremental"],
                                       jobs=jobs if jobs is not None else points.default_jobs(),
                                       by="command", keep=not options["no_record"])
        extends = []
        if loaded is not None:
            extends = checkpoints.verify(loaded, labels={m._meta.label for m in models} if options["model"] else None)
        if options["json"]:
            self.stdout.write(json.dumps({
                "chains": [r.as_dict() for r in reports],
                "checkpoints": None if loaded is None else {
                    "checked": [c.name for c in loaded], "breaks": [b.as_dict() for b in extends]},
            } if loaded is not None else [r.as_dict() for r in reports], indent=2))
        else:
            width = max((len(r.model) for r in reports), default=0)
            for r in reports:
                head = f"#{r.head_id} {r.head_hash}" if r.head_id is not None else "(empty)"
                state = "ok" if r.ok else f"BROKEN at {_describe(r, model=False)}"
                if r.incremental:
                    state += f" ({r.checked} new rows checked after the verified point #{r.since_id})"
                if r.resealed_at:
                    state += f" (re-sealed by a migration on {r.resealed_at:%Y-%m-%d %H:%M} UTC)"
                self.stdout.write(f"{r.model:<{width}}  rows={r.rows:<7} head={head}  {state}")
            if loaded is not None:
                self.stdout.write(f"Checkpoints: {len(loaded)} signed checkpoints checked, from "
                                  f"{loaded[0].taken_at} to {loaded[-1].taken_at}.")
        broken = [r for r in reports if not r.ok]
        lines = [_describe(r) for r in broken] + [str(b) for b in extends]
        if lines:
            what = []
            if broken:
                what.append(f"broken in {len(broken)} of {len(reports)} history tables")
            if extends:
                tables = sorted({b.model for b in extends})
                what.append(f"{len(tables)} history tables no longer extend a signed checkpoint")
            raise CommandError(f"Audit trail {'; '.join(what)}:\n" + "\n".join(lines))
        if not options["json"]:
            extra = " and extend every signed checkpoint" if loaded is not None else ""
            how = ""
            if options["incremental"]:
                checked = sum(r.checked or 0 for r in reports)
                how = f" ({checked} rows recomputed since the last verified points)"
            self.stdout.write(self.style.SUCCESS(f"All {len(reports)} history chains verify{extra}{how}."))

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

    def _checkpoints(self, directory, public_keys):
        if not directory:
            if public_keys:
                raise CommandError("--public-key needs --checkpoints DIR.")
            return None
        try:
            return checkpoints.load(directory, checkpoints.trusted_keys(public_keys))
        except checkpoints.CheckpointError as exc:
            raise CommandError(f"--checkpoints {directory}: {exc}") from exc


def _describe(report, model=True):
    b = report.first_break
    obj = f"object {b.object_id} " if b.object_id is not None else ""
    where = f"{obj}history id {b.history_id}: {b.reason}"
    return f"{report.model} {where}" if model else where
