"""Our single `license` string <-> CycloneDX `licenses`.

A license is exported as `{"license": {"id"}}` when it is an SPDX identifier, as `{"expression"}` when it is an SPDX
expression, otherwise as `{"license": {"name"}}`; each reads back to the same string. Several licenses in one BOM
component are joined (" AND " when all are SPDX ids, otherwise ", ").
"""

import re

_LICENSE_REF = re.compile(r"(DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+")


def _spdx():
    from cyclonedx import spdx

    return spdx


def _is_spdx_expression(value: str) -> bool:
    spdx = _spdx()
    if not value.strip() or value != value.strip():
        return False
    # license-expression does not know LicenseRef-* symbols; SPDX allows them anywhere an id may stand.
    return spdx.is_expression(_LICENSE_REF.sub("MIT", value))


def license_to_cdx(value: str) -> list[dict]:
    if _spdx().is_supported_id(value):
        return [{"license": {"id": value}}]
    if _is_spdx_expression(value):
        return [{"expression": value}]
    return [{"license": {"name": value}}]


def license_from_cdx(licenses: list[dict]) -> str:
    values, all_ids = [], True
    for choice in licenses:
        if "expression" in choice:
            values.append(choice["expression"])
            all_ids = all_ids and len(licenses) == 1
        else:
            entry = choice["license"]
            values.append(entry.get("id") or entry.get("name", ""))
            all_ids = all_ids and "id" in entry
    return (" AND " if all_ids else ", ").join(v for v in values if v)
