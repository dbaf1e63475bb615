"""Every write operation of the API (POST, PUT, PATCH in the OpenAPI schema), each writable field in turn given a
hostile value: a NUL character in text (also inside lists and objects), a date in year 9999 or 0001 at +14:00, a
number of 5,000 digits, and the whole body nested 2,000 levels deep. Each answers 4xx, never 5xx, and writes
nothing (no history row, timeline or inventory event).

Explicit cases rather than random ones (the schemathesis fuzzing in test_api_fuzz.py generates those). On the
fuzzing scene of test_api_fuzz.py; a PATCH/PUT or an action names the record's current version, so the value
itself, not a missing version, is what gets refused. Marked `fuzz` (some 700 requests): `.ci/run` runs it in its
fuzzing step (`pytest -m fuzz`).
"""

import json
import re

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from portal.tests.test_api_fuzz import build_scene, path_values

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

HUGE = "1" + "0" * 4999  # 5,000 digits: more than Python converts from text by default
DEEP = "[" * 2000 + "]" * 2000
NUL_TEXT = "bad\x00text"


def write_operations():
    """(method, path template, {field: schema}) of every POST/PUT/PATCH with a JSON body in the schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def resolve(node):
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        for key in ("allOf", "oneOf", "anyOf"):
            if key in node and len(node[key]) >= 1 and "$ref" in node[key][0]:
                node = {**resolve(node[key][0]), **{k: v for k, v in node.items() if k != key}}
        return node

    operations = []
    for path, items in schema["paths"].items():
        for method, operation in items.items():
            if method not in ("post", "put", "patch"):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            body = resolve(content.get("application/json", {}).get("schema", {}))
            fields = {name: resolve(spec) for name, spec in body.get("properties", {}).items()
                      if not resolve(spec).get("readOnly")}
            operations.append((method, path, fields))
    return operations


def bad_values(spec):
    """(label, JSON text) of the hostile values for a field of this schema."""
    kind, fmt = spec.get("type"), spec.get("format")
    values = [("NUL", json.dumps(NUL_TEXT)), ("huge number", HUGE)]
    if kind == "array":
        values.append(("NUL in a list", json.dumps([NUL_TEXT])))
    if kind in (None, "object"):
        values.append(("NUL in an object", json.dumps({"note": NUL_TEXT, "n\x00": 1})))
    if fmt == "date-time":
        values += [("year 9999", '"9999-12-31T23:59:59Z"'), ("year 0001 at +14:00", '"0001-01-01T00:00:00+14:00"')]
    if fmt == "date":
        values.append(("year 9999", '"9999-12-31"'))
    return values


def writes():
    """How many history rows and events exist: any write adds at least one."""
    models = [m for m in apps.get_models() if m.__name__.startswith("Historical") or m.__name__.endswith("Event")]
    return sum(m._default_manager.count() for m in models)


def current_version(client, url):
    """The version of the record `url` acts on (its detail URL, or the detail URL an action hangs off)."""
    for candidate in (url, re.sub(r"[\w-]+/$", "", url)):
        response = client.get(candidate)
        if response.status_code == 200 and isinstance(response.json(), dict) and "version" in response.json():
            return response.json()["version"]
    return None


@pytest.fixture
def api(role_users):
    scene = build_scene(role_users)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {scene.key}")
    client.raise_request_exception = False
    return scene, client


def run_cases(client, scene, cases_for):
    failures, count = [], 0
    for method, template, fields in write_operations():
        known = path_values(template, scene)
        url = re.sub(r"\{(\w+)\}", lambda m, known=known: str(known.get(m.group(1), 1)), template)
        version = current_version(client, url) if "{" in template else None
        for label, body in cases_for(fields):
            if version is not None and body.startswith("{") and '"version"' not in body[:12]:
                body = '{"version": ' + str(version) + ", " + body[1:]
            before = writes()
            response = getattr(client, method)(url, body, content_type="application/json")
            count += 1
            written = writes() - before
            if response.status_code >= 500 or response.status_code < 400 or written:
                failures.append(f"{method.upper()} {template} {label}: {response.status_code}, {written} row(s) "
                                f"written: {response.content[:200]!r}")
    return failures, count


def test_each_field_of_each_write_operation_refuses_hostile_values_without_a_server_error(api):
    scene, client = api

    def cases(fields):
        for name, spec in fields.items():
            if spec.get("format") == "binary" or name == "version":
                continue
            for label, text in bad_values(spec):
                yield f"{name}={label}", "{" + json.dumps(name) + ": " + text + "}"

    failures, count = run_cases(client, scene, cases)
    assert count > 300, f"only {count} cases"
    assert not failures, f"{len(failures)} case(s) failed:\n" + "\n".join(failures)


def test_a_body_nested_2000_deep_is_refused_by_every_write_operation(api):
    scene, client = api
    failures, count = run_cases(client, scene, lambda fields: [("body nested 2,000 deep", DEEP),
                                                               ("field nested 2,000 deep",
                                                                '{"x": ' + DEEP + "}")])
    assert count > 80
    assert not failures, f"{len(failures)} case(s) failed:\n" + "\n".join(failures)
