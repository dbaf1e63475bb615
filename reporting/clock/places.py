"""Places the regulatory clock reads: ISO 3166-1 countries and ISO 3166-2 subdivisions, checked against the standard
(pycountry's copy of the ISO 3166 tables), with a hint for the codes people commonly use instead.

`UK` and `EL` are the European Union's own abbreviations for the United Kingdom and Greece (Interinstitutional
Style Guide, section 7.1); ISO 3166-1 has GB and GR. Left unchecked, `UK` silently drops UK GDPR and `EL` drops
GDPR, so both are refused with the right code named.
"""

from functools import lru_cache

import pycountry

from portal.core.inputs import iso_3166_hint


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@lru_cache(maxsize=1)
def _subdivisions() -> frozenset[str]:
    return frozenset(subdivision.code for subdivision in pycountry.subdivisions)


def _shown(code) -> str:
    text = str(code)
    return repr(text if len(text) <= 16 else text[:16] + "...")


def country_problem(code) -> str | None:
    """Why `code` is not an ISO 3166-1 alpha-2 country code, or None."""
    if not isinstance(code, str) or code not in _countries():
        return f"{_shown(code)} is not an ISO 3166-1 alpha-2 country code{iso_3166_hint(str(code))}"
    return None


def location_problem(code) -> str | None:
    """Why `code` is neither an ISO 3166-1 alpha-2 country nor an ISO 3166-2 subdivision, or None."""
    if not isinstance(code, str):
        return f"{_shown(code)} is not an ISO 3166 code"
    if "-" not in code:
        return country_problem(code)
    if code in _subdivisions():
        return None
    country = code.partition("-")[0]
    if country not in _countries():
        return f"{_shown(code)}: {_shown(country)} is not an ISO 3166-1 alpha-2 country code{iso_3166_hint(code)}"
    return f"{_shown(code)} is not an ISO 3166-2 subdivision of {country}"


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code
