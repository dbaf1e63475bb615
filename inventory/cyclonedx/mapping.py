"""One CycloneDX component or service <-> one inventory component (pure: dicts in, dicts out).

Component type <-> our kind (`aiir:kind` carries the kind wherever the type alone would read back differently):

    model                                   machine-learning-model
    dataset, vector_store, prompt           data                      (data -> dataset)
    library                                 library                   (framework, file, firmware, ... -> library)
    credential                              cryptographic-asset       (related crypto material: credential)
    tool, agent, guardrail, endpoint,       application               (application, container, platform,
    service                                                            device, CycloneDX services -> service)

Our own fields travel as CycloneDX `properties` whose names start with `aiir:` (see `Prop`). Unknown `aiir:`
names are ignored so that BOMs written by a newer portal still read.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from inventory.cyclonedx.bom import BomComponent
from inventory.cyclonedx.errors import BomError
from inventory.cyclonedx.licenses import license_from_cdx, license_to_cdx
from inventory.models import ComponentKind, ComponentStatus, DependencyRelation, validate_hashes


class Prop:
    """Names of the `aiir:` properties carried on BOM components."""

    KIND = "aiir:kind"  # a ComponentKind value
    KNOWN_GOOD = "aiir:known_good"  # "true" / "false"
    DISABLEABLE = "aiir:disableable"  # "true" / "false"
    DISABLE_PROCEDURE = "aiir:disable_procedure"
    STATUS = "aiir:status"  # a ComponentStatus value
    DERIVED_FROM = "aiir:derived_from"  # bom-ref of the component this one is a fine-tune / new version of
    USAGE = "aiir:usage"  # how the AI system uses the component (SystemComponent.usage)
    IS_ACTIVE = "aiir:is_active"  # "true" / "false" (SystemComponent.is_active)
    RELATION = "aiir:relation"  # "<relation> <bom-ref>": the kind of a dependency edge other than depends_on

    SINGLE = (KIND, KNOWN_GOOD, DISABLEABLE, DISABLE_PROCEDURE, STATUS, DERIVED_FROM, USAGE, IS_ACTIVE)


KIND_TO_TYPE = {
    ComponentKind.MODEL: "machine-learning-model",
    ComponentKind.DATASET: "data",
    ComponentKind.VECTOR_STORE: "data",
    ComponentKind.PROMPT: "data",
    ComponentKind.LIBRARY: "library",
    ComponentKind.CREDENTIAL: "cryptographic-asset",
    ComponentKind.TOOL: "application",
    ComponentKind.AGENT: "application",
    ComponentKind.GUARDRAIL: "application",
    ComponentKind.ENDPOINT: "application",
    ComponentKind.SERVICE: "application",
}

TYPE_TO_KIND = {
    "machine-learning-model": ComponentKind.MODEL,
    "data": ComponentKind.DATASET,
    "library": ComponentKind.LIBRARY,
    "framework": ComponentKind.LIBRARY,
    "file": ComponentKind.LIBRARY,
    "firmware": ComponentKind.LIBRARY,
    "device-driver": ComponentKind.LIBRARY,
    "operating-system": ComponentKind.LIBRARY,
    "cryptographic-asset": ComponentKind.CREDENTIAL,
    "application": ComponentKind.SERVICE,
    "container": ComponentKind.SERVICE,
    "platform": ComponentKind.SERVICE,
    "device": ComponentKind.SERVICE,
}

# Where each Component field lives in a BOM component, for error messages.
FIELD_LOCATIONS = {
    "kind": "type",
    "name": "name",
    "group": "group",
    "version": "version",
    "description": "description",
    "supplier": "supplier.name",
    "license": "licenses",
    "purl": "purl",
    "external_url": "externalReferences",
    "hashes": "hashes",
    "bom_ref": "bom-ref",
    "known_good": f"properties[{Prop.KNOWN_GOOD}]",
    "disableable": f"properties[{Prop.DISABLEABLE}]",
    "disable_procedure": f"properties[{Prop.DISABLE_PROCEDURE}]",
    "status": f"properties[{Prop.STATUS}]",
    "derived_from": f"properties[{Prop.DERIVED_FROM}]",
}


def default_kind(cdx_type: str | None) -> str:
    """Our kind for a CycloneDX component type (None: a CycloneDX service)."""
    return str(TYPE_TO_KIND.get(cdx_type, ComponentKind.SERVICE) if cdx_type else ComponentKind.SERVICE)


def _bool(value: str, where: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise BomError(f"{where}: must be 'true' or 'false', not {value!r}")
    return lowered == "true"


def _choice(value: str, allowed: Iterable[str], where: str) -> str:
    allowed = list(allowed)
    if value not in allowed:
        raise BomError(f"{where}: {value!r} is not one of {allowed}")
    return value


def _aiir_properties(properties: list[dict], path: str) -> tuple[dict, list[tuple[str, str, str]]]:
    """The single-valued `aiir:` properties by name, and the relations as (relation, ref, where)."""
    single, relations, seen_at = {}, [], {}
    for i, prop in enumerate(properties):
        name, value, where = prop["name"], prop.get("value", ""), f"{path}.properties[{i}] ({prop['name']})"
        if name in Prop.SINGLE:
            if name in seen_at:
                raise BomError(f"{where}: {name} appears twice (first at {seen_at[name]})")
            seen_at[name] = f"{path}.properties[{i}]"
            single[name] = (value, where)
        elif name == Prop.RELATION:
            relation, _, ref = value.strip().partition(" ")
            _choice(relation, DependencyRelation.values, where)
            if not ref.strip():
                raise BomError(f"{where}: write '<relation> <bom-ref>', e.g. 'trained_on dataset-1'")
            relations.append((relation, ref.strip(), where))
    return single, relations


def _external_url(item: dict) -> str | None:
    references = item.get("externalReferences") or []
    for wanted in ("distribution", "website"):
        for reference in references:
            url = reference.get("url", "")
            if reference.get("type") == wanted and url.startswith(("http://", "https://")):
                return url
    for endpoint in item.get("endpoints") or []:  # a CycloneDX service
        if endpoint.startswith(("http://", "https://")):
            return endpoint
    return None


def _supplier(item: dict, is_service: bool) -> str | None:
    for key in ("provider",) if is_service else ("supplier", "manufacturer"):
        name = (item.get(key) or {}).get("name")
        if name:
            return name
    return None if is_service else item.get("publisher")


def component_from_cdx(item: dict, path: str, *, is_service: bool = False):
    """Map one (schema-valid) CycloneDX component or service; returns (BomComponent, relations)."""
    single, relations = _aiir_properties(item.get("properties") or [], path)
    if Prop.KIND in single:
        value, where = single[Prop.KIND]
        kind = _choice(value, ComponentKind.values, where)
    else:
        kind = default_kind(None if is_service else item["type"])
    fields = {}
    for key in ("description", "purl"):
        if key in item:
            fields[key] = item[key]
    if "bom-ref" in item:
        fields["bom_ref"] = item["bom-ref"]
    supplier = _supplier(item, is_service)
    if supplier is not None:
        fields["supplier"] = supplier
    if item.get("licenses"):
        fields["license"] = license_from_cdx(item["licenses"])
    url = _external_url(item)
    if url is not None:
        fields["external_url"] = url
    if "hashes" in item:
        for i, entry in enumerate(item["hashes"]):
            try:
                validate_hashes([entry])
            except ValidationError as exc:
                raise BomError(f"{path}.hashes[{i}]: {exc.messages[0].removeprefix('Hash 1: ')}") from exc
        fields["hashes"] = [{"alg": h["alg"], "content": h["content"]} for h in item["hashes"]]
    for prop, name in ((Prop.KNOWN_GOOD, "known_good"), (Prop.DISABLEABLE, "disableable")):
        if prop in single:
            fields[name] = _bool(*single[prop])
    if Prop.DISABLE_PROCEDURE in single:
        fields["disable_procedure"] = single[Prop.DISABLE_PROCEDURE][0]
    if Prop.STATUS in single:
        value, where = single[Prop.STATUS]
        fields["status"] = _choice(value, ComponentStatus.values, where)
    component = BomComponent(
        ref=item.get("bom-ref", ""),
        kind=kind,
        name=item["name"],
        group=item.get("group", ""),
        version=item.get("version", ""),
        fields=fields,
        derived_from=single.get(Prop.DERIVED_FROM, ("", ""))[0].strip(),
        usage=single[Prop.USAGE][0] if Prop.USAGE in single else None,
        is_active=_bool(*single[Prop.IS_ACTIVE]) if Prop.IS_ACTIVE in single else None,
        path=path,
    )
    return component, relations


def component_to_cdx(component: BomComponent, relations: dict[str, str] | None = None) -> dict:
    """One CycloneDX 1.6 component; `relations` maps depends-on refs to their relation (non-default ones travel)."""
    f = component.fields
    cdx_type = KIND_TO_TYPE[component.kind]
    item = {"type": cdx_type, "bom-ref": component.ref}
    if f.get("supplier"):
        item["supplier"] = {"name": f["supplier"]}
    if component.group:
        item["group"] = component.group
    item["name"] = component.name
    if component.version:
        item["version"] = component.version
    if f.get("description"):
        item["description"] = f["description"]
    if f.get("hashes"):
        item["hashes"] = [{"alg": h["alg"], "content": h["content"]} for h in f["hashes"]]
    if f.get("license"):
        item["licenses"] = license_to_cdx(f["license"])
    if f.get("purl"):
        item["purl"] = f["purl"]
    if f.get("external_url"):
        item["externalReferences"] = [{"type": "distribution", "url": f["external_url"]}]
    if component.kind == ComponentKind.CREDENTIAL:
        item["cryptoProperties"] = {
            "assetType": "related-crypto-material",
            "relatedCryptoMaterialProperties": {"type": "credential"},
        }
    properties = []
    if default_kind(cdx_type) != component.kind:
        properties.append((Prop.KIND, component.kind))
    properties.append((Prop.KNOWN_GOOD, _text(f.get("known_good", False))))
    properties.append((Prop.DISABLEABLE, _text(f.get("disableable", False))))
    if f.get("disable_procedure"):
        properties.append((Prop.DISABLE_PROCEDURE, f["disable_procedure"]))
    properties.append((Prop.STATUS, f.get("status") or ComponentStatus.ACTIVE))
    if component.derived_from:
        properties.append((Prop.DERIVED_FROM, component.derived_from))
    if component.usage:
        properties.append((Prop.USAGE, component.usage))
    if component.is_active is not None:
        properties.append((Prop.IS_ACTIVE, _text(component.is_active)))
    for ref, relation in (relations or {}).items():
        if relation and relation != DependencyRelation.DEPENDS_ON:
            properties.append((Prop.RELATION, f"{relation} {ref}"))
    item["properties"] = [{"name": name, "value": str(value)} for name, value in properties]
    return item


def _text(value: bool) -> str:
    return "true" if value else "false"
