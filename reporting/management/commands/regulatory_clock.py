"""`manage.py regulatory_clock --facts FILE|-`: the notifications an incident owes, as JSON.

Reads a facts object (JSON; `-` for standard input), evaluates the regulatory clock and prints a JSON array
(indented by two spaces) of obligations sorted by due time. Bad JSON, a non-object, a missing file or malformed
facts end with an error naming each bad key and a non-zero exit. `--reference-version` prints the version of the
regime data. The clock supports, and does not replace, legal judgement.
"""

import json
import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.core import inputs
from reporting import clock


def _date_option(text: str, option: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: {text!r} is not a date (YYYY-MM-DD).") from None
    if problem := inputs.date_out_of_range(day):
        raise CommandError(f"{option}: the date {problem}.")
    return day


def read_facts(source: str):
    """The JSON value of FILE, or of standard input for `-`."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"Cannot read the facts file {source}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"The facts file {source} is not UTF-8 text: {exc}") from exc
    try:
        return inputs.json_loads(text)
    except inputs.JSONInputError as exc:  # malformed, or nested too deep, numbers too long, NUL characters
        where = "standard input" if source == "-" else source
        raise CommandError(f"The facts in {where} are not valid JSON: {exc.message}.") from None


class Command(BaseCommand):
    help = ("Print the regulatory notifications an incident owes (JSON array sorted by due time) from a facts file. "
            "The clock supports, and does not replace, legal judgement.")

    def add_arguments(self, parser):
        parser.add_argument("--facts", metavar="FILE", help="Facts JSON file, or - for standard input.")
        parser.add_argument("--bank-holiday", action="append", default=[], metavar="YYYY-MM-DD", dest="bank_holidays",
                            help="A bank holiday of the entity's Member State (DORA weekend/holiday relief); "
                                 "repeatable.")
        parser.add_argument("--applies-from", action="append", default=[], metavar="REGIME[.STAGE]=YYYY-MM-DD",
                            dest="applies_from", help="Override the date a regime or stage applies from; repeatable.")
        parser.add_argument("--reference-version", action="store_true",
                            help="Print the version of the regime reference data and exit.")

    def handle(self, *args, facts=None, bank_holidays=(), applies_from=(), reference_version=False, **options):
        try:
            if reference_version:
                self.stdout.write(clock.reference_data_version())
                return
            if not facts:
                raise CommandError("--facts FILE (or --facts - for standard input) is required.")
            holidays = frozenset(_date_option(text, "--bank-holiday") for text in bank_holidays)
            overrides = {}
            for text in applies_from:
                key, sep, value = text.partition("=")
                if not sep:
                    raise CommandError(f"--applies-from: {text!r} is not REGIME[.STAGE]=YYYY-MM-DD.")
                overrides[key.strip()] = _date_option(value.strip(), "--applies-from")
            raw = read_facts(facts)
            if not isinstance(raw, dict):
                raise CommandError(f"The facts must be a JSON object, not {type(raw).__name__}.")
            try:
                parsed = clock.parse_facts(raw)
            except clock.FactsError as exc:
                lines = "\n".join(f"  {key}: {message}" for key, message in exc.errors.items())
                raise CommandError(f"The facts are not valid:\n{lines}") from exc
            regimes = clock.load_regimes()
        except clock.RegimeFileError as exc:
            raise CommandError(f"The regime data is malformed: {exc}") from exc
        try:
            specs = clock.evaluate(parsed, regimes=regimes, bank_holidays=holidays, applies_from_overrides=overrides)
        except ValueError as exc:  # an unknown --applies-from regime or stage
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps([spec.to_json() for spec in specs], indent=2, ensure_ascii=False))
