"""`manage.py seed_scale --incidents N`: a scale data set for benchmarks (see `portal.demo.scale`).

Refuses to run in production mode (DJANGO_DEBUG=false), like `seed_demo`: it fills the database with invented
records. Refuses on a database that already holds incidents unless `--append` is given: the new incidents then join
the existing inventory and continue the reference numbers. `--seed` makes the random choices reproducible.
Prints each chunk's progress and the time per phase. Run it as the owner role or the runtime role (it only
inserts, and takes ids from the sequences).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo.scale import DEFAULT_CHUNK, AlreadySeeded, seed_scale

MAX_INCIDENTS = 10_000_000


def _count(option: str, value, *, low: int, high: int) -> int:
    text = str(value).strip().replace("_", "").replace(",", "")
    if not text.isdigit() or not low <= int(text) <= high:
        raise CommandError(f"{option}: give a whole number from {low:,} to {high:,}, not {str(value)[:40]!r}.")
    return int(text)


class Command(BaseCommand):
    help = "Generate a realistic data set of N incidents (inventory, checklists, obligations, chained history)."

    def add_arguments(self, parser):
        parser.add_argument("--incidents", metavar="N", help="How many incidents to add (1 to 10,000,000).")
        parser.add_argument("--seed", metavar="INT", help="Seed of the random generator, for a reproducible set.")
        parser.add_argument("--append", action="store_true",
                            help="Add to a database that already holds incidents (otherwise refused).")
        parser.add_argument("--chunk-size", metavar="N", default=DEFAULT_CHUNK,
                            help=f"Incidents written per transaction (default {DEFAULT_CHUNK:,}).")

    def handle(self, *args, **options):
        if settings.PRODUCTION_MODE:
            raise CommandError("seed_scale fills the database with invented records and refuses to run in "
                               "production mode (DJANGO_DEBUG=false).")
        if options["incidents"] is None:
            raise CommandError("--incidents: say how many incidents to generate, e.g. --incidents 100000.")
        incidents = _count("--incidents", options["incidents"], low=1, high=MAX_INCIDENTS)
        chunk = _count("--chunk-size", options["chunk_size"], low=1, high=1_000_000)
        seed = None
        if options["seed"] is not None:
            try:
                seed = int(str(options["seed"]).strip())
            except ValueError:
                raise CommandError(f"--seed: give a whole number, not {str(options['seed'])[:40]!r}.") from None
        self.stdout.write(f"seed_scale: {incidents:,} incidents, chunks of {chunk:,}, seed {seed}.")
        try:
            report = seed_scale(incidents=incidents, seed=seed, append=options["append"], chunk=chunk,
                                progress=self.stdout.write)
        except AlreadySeeded as exc:
            raise CommandError(f"The database already holds {exc.args[0]:,} incidents; give --append to add "
                               f"{incidents:,} more to them.") from None
        created = ", ".join(f"{n:,} {what}" for what, n in report.created.items())
        self.stdout.write(f"Created {created}.")
        self.stdout.write(f"Obligations from {report.templates} clock templates. "
                          f"Derived data rebuilt: {', '.join(report.rebuilt) or 'nothing registered'}.")
        self.stdout.write(self.style.SUCCESS(f"Done in {report.seconds:.1f} s."))
