"""Small helpers shared by the clock tests: build facts, evaluate them, pick obligations by key."""

from datetime import UTC, datetime

from reporting.clock import evaluate, parse_facts

# A Tuesday after every regime of the clock applies (Art. 73 from 2026-08-02, RAISE from 2027-01-01).
AWARE = "2027-03-02T10:00:00Z"
AWARE_AT = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def run(bank_holidays=frozenset(), applies_from_overrides=None, **facts) -> dict:
    """{key: ObligationSpec} for the facts (aware_at defaults to AWARE)."""
    facts.setdefault("aware_at", AWARE)
    specs = evaluate(parse_facts(facts), bank_holidays=bank_holidays, applies_from_overrides=applies_from_overrides)
    return {spec.key: spec for spec in specs}


def keys_of(regime: str, specs: dict) -> set[str]:
    return {key for key in specs if key.split(".", 1)[0] == regime}
