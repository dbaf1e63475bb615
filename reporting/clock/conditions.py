"""The small condition language of the regime files: when a regime, a stage or a variant applies.

A condition is a mapping with exactly one form:

    {all: [condition, ...]}          every one holds
    {any: [condition, ...]}          at least one holds
    {not: condition}                 it does not hold
    {fact: NAME, is: true|false}     a boolean fact
    {fact: NAME, in: [value, ...]}   a choice fact has one of the values (an absent fact never matches)
    {fact: NAME, given: true|false}  an optional fact is (not) given
    {fact: harms, any_of: [...]}     at least one of the listed harms
    {fact: NAME, at_least: N}        a count fact is given and >= N (`below: N`: given and < N)
    {locations_in: GROUP}            a location lies in a country of the group (e.g. eu, eea; index.yaml)
    {locations_include: CODE}        CODE or one of its subdivisions is a location ("GB" matches "GB-SCT")

Every name and value is checked when the file is loaded, so a typo in a regime file is an error, not a clock that
silently never applies.
"""

from collections.abc import Callable, Mapping

from reporting.clock.facts import BOOLEAN_KEYS, CHOICE_KEYS, COUNT_KEYS, DATETIME_KEYS, HARMS, LOCATION_PATTERN

Condition = Callable[[object], bool]
LIST_KEYS = {"harms": HARMS}


def country_of(location: str) -> str:
    """The ISO 3166-1 country of a location code: "DE" for "DE" and "DE-BY", "US" for "US-CA"."""
    return location.split("-", 1)[0]


def always(_facts) -> bool:
    return True


def compile_condition(raw, where: str, groups: Mapping[str, frozenset[str]]) -> Condition:
    """A predicate over `Facts` from a condition mapping; `ValueError` naming `where` when it is malformed."""
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{where}: a condition must be a non-empty mapping, got {raw!r}")
    if set(raw) == {"all"} or set(raw) == {"any"}:
        (combinator, items), = raw.items()
        if not isinstance(items, list) or not items:
            raise ValueError(f"{where}.{combinator}: must be a non-empty list of conditions")
        parts = [compile_condition(item, f"{where}.{combinator}[{i}]", groups) for i, item in enumerate(items)]
        if combinator == "all":
            return lambda facts: all(part(facts) for part in parts)
        return lambda facts: any(part(facts) for part in parts)
    if set(raw) == {"not"}:
        inner = compile_condition(raw["not"], f"{where}.not", groups)
        return lambda facts: not inner(facts)
    if set(raw) == {"locations_in"}:
        group = raw["locations_in"]
        if group not in groups:
            raise ValueError(f"{where}.locations_in: unknown location group {group!r} (known: {', '.join(groups)})")
        members = groups[group]
        return lambda facts: any(country_of(loc) in members for loc in facts.locations)
    if set(raw) == {"locations_include"}:
        code = raw["locations_include"]
        if not isinstance(code, str) or not LOCATION_PATTERN.match(code):
            raise ValueError(f"{where}.locations_include: {code!r} is not an ISO 3166 code")
        return lambda facts: any(loc == code or loc.startswith(code + "-") for loc in facts.locations)
    if "fact" in raw and len(raw) == 2:
        return _fact_condition(raw, where)
    raise ValueError(f"{where}: unknown condition form {sorted(raw)!r}")


def _fact_condition(raw: dict, where: str) -> Condition:
    name = raw["fact"]
    (operator, operand), = ((k, v) for k, v in raw.items() if k != "fact")
    place = f"{where}.{operator}"
    if operator == "is":
        if name not in BOOLEAN_KEYS or not isinstance(operand, bool):
            raise ValueError(f"{place}: `is` needs a boolean fact and true/false (got {name!r}, {operand!r})")
        return lambda facts: facts.get(name) is operand
    if operator == "in":
        allowed = CHOICE_KEYS.get(name)
        if allowed is None or not isinstance(operand, list) or not set(operand) <= set(allowed):
            raise ValueError(f"{place}: `in` needs a choice fact and values among its choices "
                             f"(got {name!r}, {operand!r})")
        values = frozenset(operand)
        return lambda facts: facts.get(name) in values
    if operator == "given":
        known = set(DATETIME_KEYS) | set(CHOICE_KEYS) | set(COUNT_KEYS)
        if name not in known or not isinstance(operand, bool):
            raise ValueError(f"{place}: `given` needs an optional fact and true/false (got {name!r}, {operand!r})")
        return lambda facts: (facts.get(name) is not None) is operand
    if operator == "any_of":
        allowed = LIST_KEYS.get(name)
        if allowed is None or not isinstance(operand, list) or not operand or not set(operand) <= set(allowed):
            raise ValueError(f"{place}: `any_of` needs a list fact and values among its choices "
                             f"(got {name!r}, {operand!r})")
        values = frozenset(operand)
        return lambda facts: bool(values & set(facts.get(name)))
    if operator in ("at_least", "below"):
        if name not in COUNT_KEYS or isinstance(operand, bool) or not isinstance(operand, int):
            raise ValueError(f"{place}: `{operator}` needs a count fact and an integer (got {name!r}, {operand!r})")
        if operator == "at_least":
            return lambda facts: facts.get(name) is not None and facts.get(name) >= operand
        return lambda facts: facts.get(name) is not None and facts.get(name) < operand
    raise ValueError(f"{place}: unknown operator {operator!r} (is, in, given, any_of, at_least, below)")
