"""CycloneDX mapping and validation, without the database: what reads, what is refused and with which message."""

import copy

import pytest

from inventory import cyclonedx
from inventory.cyclonedx import BomComponent, BomError, BomSystem, Prop
from inventory.models import ComponentKind

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def bom(*components, dependencies=None, **extra):
    document = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": list(components), **extra}
    if dependencies is not None:
        document["dependencies"] = dependencies
    return document


def lib(ref, **fields):
    return {"type": "library", "bom-ref": ref, "name": ref, "version": "1.0", **fields}


def props(**values):
    return [{"name": f"aiir:{name}", "value": value} for name, value in values.items()]


def refused(document) -> str:
    with pytest.raises(BomError) as excinfo:
        cyclonedx.read_bom(document)
    return str(excinfo.value)


# --- JSON and schema ---------------------------------------------------------------------------------------------

def test_malformed_json_is_refused_naming_line_and_column():
    with pytest.raises(BomError, match=r"^not JSON: line 3 column 3: Expecting ',' delimiter"):
        cyclonedx.parse_json('{\n  "bomFormat": "CycloneDX"\n  "specVersion": "1.6"\n}')


def test_a_bom_must_be_a_json_object():
    with pytest.raises(BomError, match=r"a CycloneDX BOM is a JSON object, not list"):
        cyclonedx.parse_json(b"[1, 2]")


def test_schema_error_names_the_path_and_the_allowed_types():
    message = refused(bom(lib("a"), {"type": "neural-net", "name": "x"}))
    assert message.startswith("components[1].type: 'neural-net' is not one of ['application', 'framework'")


def test_unknown_spdx_id_is_refused_naming_the_license_path():
    message = refused(bom(lib("a", licenses=[{"license": {"id": "Not-A-Licence"}}])))
    assert message.startswith("components[0].licenses[0].license.id: 'Not-A-Licence' is not an SPDX license")


def test_several_schema_errors_report_the_first_and_count_the_rest():
    message = refused(bom({"type": "library"}, {"type": "data"}))
    assert "'name' is a required property" in message and "(and 1 more schema error)" in message


def test_spec_versions_after_1_6_are_refused():
    assert refused({**bom(), "specVersion": "1.7"}).startswith("specVersion: '1.7' is not supported")


# --- licenses, kinds, hashes -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "cdx"),
    [
        ("Apache-2.0", [{"license": {"id": "Apache-2.0"}}]),
        ("Apache-2.0 AND (MIT OR BSD-3-Clause)", [{"expression": "Apache-2.0 AND (MIT OR BSD-3-Clause)"}]),
        ("LicenseRef-acme-model OR MIT", [{"expression": "LicenseRef-acme-model OR MIT"}]),
        ("Llama 2 Community License Agreement", [{"license": {"name": "Llama 2 Community License Agreement"}}]),
    ],
)
def test_license_strings_round_trip_as_id_expression_or_name(value, cdx):
    assert cyclonedx.license_to_cdx(value) == cdx
    assert cyclonedx.license_from_cdx(cdx) == value
    cyclonedx.validate_bom(bom(lib("a", licenses=cdx)))


def test_several_licenses_are_joined_into_one_string():
    assert cyclonedx.license_from_cdx([{"license": {"id": "MIT"}}, {"license": {"id": "Apache-2.0"}}]) == (
        "MIT AND Apache-2.0")
    assert cyclonedx.license_from_cdx([{"license": {"id": "MIT"}}, {"license": {"name": "Acme EULA"}}]) == (
        "MIT, Acme EULA")


@pytest.mark.parametrize("kind", ComponentKind.values)
def test_every_kind_round_trips_through_a_valid_component_type(kind):
    item = cyclonedx.component_to_cdx(BomComponent(ref="c", kind=kind, name="c"))
    cyclonedx.validate_bom(bom(item))
    assert cyclonedx.read_bom(bom(item)).components[0].kind == kind
    ambiguous = any(p["name"] == Prop.KIND for p in item["properties"])
    assert ambiguous == (kind not in ("model", "dataset", "library", "credential", "service"))


@pytest.mark.parametrize(
    ("cdx_type", "kind"),
    [("machine-learning-model", "model"), ("data", "dataset"), ("framework", "library"),
     ("application", "service"), ("cryptographic-asset", "credential")],
)
def test_a_type_without_aiir_kind_reads_as_its_default_kind(cdx_type, kind):
    parsed = cyclonedx.read_bom(bom({"type": cdx_type, "name": "x"}))
    assert parsed.components[0].kind == kind


def test_a_hash_our_model_rejects_is_refused_naming_it():
    sha1_length = "a" * 40
    message = refused(bom(lib("a", hashes=[{"alg": "SHA-256", "content": SHA256},
                                           {"alg": "SHA-256", "content": sha1_length}])))
    assert message == "components[0].hashes[1]: SHA-256 content must be 64 hexadecimal characters."


# --- our own properties ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("properties", "words"),
    [
        (props(kind="robot"), "(aiir:kind): 'robot' is not one of ['model'"),
        (props(known_good="yes"), "(aiir:known_good): must be 'true' or 'false', not 'yes'"),
        (props(status="gone"), "(aiir:status): 'gone' is not one of ['active', 'disabled', 'retired']"),
        (props(relation="loves b"), "(aiir:relation): 'loves' is not one of ['depends_on'"),
        (props(relation="trained_on"), "write '<relation> <bom-ref>'"),
        (props(relation="trained_on c"), "'c' is not in the dependsOn of a"),
        (props(derived_from="nowhere"), "(aiir:derived_from): 'nowhere' names no component"),
        ([*props(kind="tool"), *props(kind="agent")], "aiir:kind appears twice (first at components[0].properties[0])"),
    ],
)
def test_bad_aiir_properties_are_refused_naming_the_property(properties, words):
    document = bom(lib("a", properties=properties), lib("b"), lib("c"),
                   dependencies=[{"ref": "a", "dependsOn": ["b"]}])
    message = refused(document)
    assert message.startswith("components[0].properties") and words in message


def test_unknown_aiir_properties_are_ignored():
    parsed = cyclonedx.read_bom(bom(lib("a", properties=props(colour="blue"))))
    assert parsed.components[0].fields == {"bom_ref": "a"}


# --- the whole BOM -----------------------------------------------------------------------------------------------

def test_duplicate_bom_refs_are_refused_naming_both_places():
    message = refused(bom(lib("a"), {**lib("b"), "components": [lib("a", name="other")]}))
    assert message == "components[1].components[0].bom-ref 'a' is already used by components[0]"


def test_the_same_component_twice_is_refused():
    message = refused(bom(lib("a"), {**lib("b"), "name": "a"}))
    assert message.startswith("components[1]: same kind, group, name and version as components[0]")


@pytest.mark.parametrize(
    ("dependencies", "message"),
    [
        ([{"ref": "ghost", "dependsOn": ["a"]}], "dependencies[0].ref 'ghost' names no component"),
        ([{"ref": "a", "dependsOn": ["b", "ghost"]}], "dependencies[0].dependsOn[1] 'ghost' names no component"),
        ([{"ref": "a", "dependsOn": ["a"]}], "dependencies[0].dependsOn[0] 'a': a component cannot depend on itself"),
        ([{"ref": "a", "dependsOn": ["sys"]}],
         "dependencies[0].dependsOn[0] 'sys' is the AI system itself, not a component"),
        ([{"ref": "a", "dependsOn": ["b"]}, {"ref": "b", "dependsOn": ["c"]}, {"ref": "c", "dependsOn": ["a"]}],
         "dependency cycle: a -> b -> c -> a"),
    ],
)
def test_dependency_problems_are_refused_naming_the_entry(dependencies, message):
    metadata = {"component": {"type": "application", "bom-ref": "sys", "name": "System"}}
    assert refused(bom(lib("a"), lib("b"), lib("c"), dependencies=dependencies, metadata=metadata)) == message


def test_a_derived_from_cycle_is_refused():
    message = refused(bom(lib("a", properties=props(derived_from="b")), lib("b", properties=props(derived_from="a"))))
    assert message.startswith("derived-from cycle: ")


def test_nested_components_and_services_are_flattened():
    document = bom(
        {**lib("outer"), "components": [{**lib("inner"), "components": [lib("innermost")]}]},
        services=[{"bom-ref": "svc", "name": "scoring-api", "provider": {"name": "Acme"},
                   "endpoints": ["https://api.example.com/score"], "services": [{"name": "auth-api"}]}],
    )
    parsed = cyclonedx.read_bom(document)
    assert [(c.path, c.kind) for c in parsed.components] == [
        ("components[0]", "library"), ("components[0].components[0]", "library"),
        ("components[0].components[0].components[0]", "library"), ("services[0]", "service"),
        ("services[0].services[0]", "service"),
    ]
    assert parsed.components[3].fields["supplier"] == "Acme"
    assert parsed.components[3].fields["external_url"] == "https://api.example.com/score"


def test_supplier_falls_back_to_manufacturer_then_publisher():
    document = bom(lib("a", manufacturer={"name": "Maker"}, publisher="Pub"), lib("b", publisher="Pub"))
    parsed = cyclonedx.read_bom(document)
    assert [c.fields["supplier"] for c in parsed.components] == ["Maker", "Pub"]


def test_what_the_system_uses_comes_from_its_dependency_entry():
    metadata = {"component": {"type": "application", "bom-ref": "sys", "name": "System", "description": "Does."}}
    with_entry = cyclonedx.read_bom(bom(lib("a"), lib("b"), metadata=metadata,
                                        dependencies=[{"ref": "sys", "dependsOn": ["b"]}]))
    assert with_entry.uses == ["b"] and with_entry.system == BomSystem(ref="sys", name="System", description="Does.")
    assert cyclonedx.read_bom(bom(lib("a"), metadata=metadata)).uses is None


def test_built_bom_validates_and_reads_back_the_same_components():
    model = BomComponent(
        ref="m", kind="model", name="llm", group="acme", version="2", derived_from="base", usage="primary",
        is_active=True, fields={"description": "Fine-tune.", "supplier": "Acme", "license": "Apache-2.0 OR MIT",
                                "purl": "pkg:huggingface/acme/llm@2", "external_url": "https://example.com/llm",
                                "hashes": [{"alg": "SHA-256", "content": SHA256}], "known_good": True,
                                "disableable": True, "disable_procedure": "Flip the flag.", "status": "active"},
    )
    base = BomComponent(ref="base", kind="model", name="llm", group="acme", version="1",
                        fields={"known_good": False, "disableable": False, "status": "retired"})
    corpus = BomComponent(ref="kb", kind="vector_store", name="kb", usage="", is_active=False,
                          fields={"license": "Internal data licence", "known_good": False, "disableable": False,
                                  "status": "disabled"})
    document = cyclonedx.build_bom(
        system=BomSystem(ref="chat", name="Chat", description="Answers."), components=[model, base, corpus],
        uses=["m", "kb"], dependencies={"m": {"base": "fine_tuned_from", "kb": "retrieves_from"}},
    )
    cyclonedx.validate_bom(document)
    assert document["serialNumber"].startswith("urn:uuid:") and document["metadata"]["timestamp"].endswith("Z")
    assert document["metadata"]["component"]["bom-ref"] == "chat"
    parsed = cyclonedx.read_bom(copy.deepcopy(document))
    for original, read in zip([model, base, corpus], parsed.components, strict=True):
        assert read.identity == original.identity
        assert read.fields == {**original.fields, "bom_ref": original.ref}
        assert (read.derived_from, read.is_active) == (original.derived_from, original.is_active)
        assert read.usage == (original.usage or None)
    assert parsed.uses == ["m", "kb"]
    assert parsed.dependencies == {"m": {"base": "fine_tuned_from", "kb": "retrieves_from"}, "base": {}, "kb": {}}
    assert [c.ref for c in parsed.creation_order()] == ["base", "m", "kb"]
