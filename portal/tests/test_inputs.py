"""The kernel's input limits (portal.core.inputs), without a database: moments between 1970 and 2200 (UTC), no NUL
characters, JSON of bounded depth and number length; each refusal says what and where, never a Python error."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError

from portal.core import inputs
from portal.core.businesstime import BusinessCalendar


@pytest.mark.parametrize("moment", [
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2200, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1970, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))),  # 00:00 UTC
    datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
])
def test_moments_within_1970_and_2200_utc_are_accepted(moment):
    assert inputs.moment_out_of_range(moment) is None
    inputs.validate_moment_range(moment)


@pytest.mark.parametrize("moment", [
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),  # converting it to UTC overflows
    datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-12))),  # so does this one
    datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(1970, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # 1969-12-31 23:30 UTC
    datetime(2201, 1, 1, tzinfo=UTC),
])
def test_moments_outside_the_range_are_refused_naming_the_range(moment):
    assert "between 1970-01-01 and 2200-12-31 (UTC)" in inputs.moment_out_of_range(moment)
    with pytest.raises(ValidationError, match="between 1970-01-01 and 2200-12-31") as caught:
        inputs.validate_moment_range(moment)
    assert caught.value.code == "out_of_range"


def test_dates_outside_the_range_are_refused_and_dates_inside_accepted():
    assert inputs.date_out_of_range(date(2200, 12, 31)) is None
    assert "9999-12-31 is not" in inputs.date_out_of_range(date(9999, 12, 31))
    with pytest.raises(ValidationError):
        inputs.validate_moment_range(date(1969, 12, 31))


def test_business_day_deadlines_compute_up_to_the_end_of_the_range():
    """A P3 SLA (business days) from the last moment of the range still computes, in 2201."""
    calendar = BusinessCalendar(time_zone="Pacific/Kiritimati")
    due = calendar.end_of_business_day_after(inputs.MOMENT_MAX, days=10)
    assert due.year == 2201 and due.tzinfo is UTC


@pytest.mark.parametrize(("value", "where"), [
    ("plain text", None),
    ({"a": ["x", {"b": "ok"}]}, None),
    ("a\x00b", ""),
    ({"note": "a\x00"}, "note"),
    ({"steps": ["ok", {"deep": ["fine", "bad\x00"]}]}, "steps[1].deep[1]"),
    ({"k\x00": "v"}, "k\\u0000"),
    (12, None),
])
def test_nul_characters_are_found_anywhere_with_their_path(value, where):
    assert inputs.nul_path(value) == where


def test_the_nul_validator_names_where_the_nul_is():
    with pytest.raises(ValidationError, match=r"not allowed \(at a\[0\]\)"):
        inputs.validate_no_nul({"a": ["\x00"]})
    inputs.validate_no_nul({"a": ["fine"]})


def test_a_nul_is_found_at_any_depth_without_recursion():
    value = "\x00"
    for _ in range(5000):
        value = [value]
    assert inputs.nul_path(value) == "[0]" * 5000


@pytest.mark.parametrize(("text", "message"), [
    ("[" * 2000 + "]" * 2000, "nested more than 64 levels deep"),
    ("[" * 100_000 + "]" * 100_000, "nested more than 64 levels deep"),
    ('{"a": ' * 65 + "1" + "}" * 65, "nested more than 64 levels deep"),
    ('{"n": 1' + "0" * 5000 + "}", "5,001 digits; at most 100"),
    ('{"n": -1' + "0" * 200 + "}", "201 digits"),
    ('{"n": 1e999}', "too large"),
    ('{"n": ' + "9" * 5000 + ".5}", "too large"),
    ('{"n": NaN}', "NaN is not a JSON number"),
    ('{"n": -Infinity}', "-Infinity is not a JSON number"),
    ('{"note": "a\\u0000b"}', "not allowed (at note)"),
    ('{"a": [1, {"b\\u0000": 2}]}', "not allowed (at a[1].b\\u0000)"),
    ("{nope", "not valid JSON"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_json_beyond_the_limits_is_refused_saying_what(text, message):
    with pytest.raises(inputs.JSONInputError) as caught:
        inputs.json_loads(text)
    assert message in caught.value.message


def test_json_within_the_limits_is_parsed_as_usual():
    text = '{"a": ' * 63 + '[1, 2.5, "x", true, null, ' + "9" * 100 + "]" + "}" * 63
    value = inputs.json_loads(text)
    for _ in range(63):
        value = value["a"]
    assert value == [1, 2.5, "x", True, None, int("9" * 100)]
    assert inputs.json_loads('"a\\u0000"', allow_nul=True) == "a\x00"


def test_json_larger_than_the_limit_is_refused():
    with pytest.raises(inputs.JSONInputError, match="larger than 10 bytes"):
        inputs.json_loads('["0123456789"]', max_bytes=10)


def test_services_check_every_date_they_are_given_naming_each():
    with pytest.raises(ValidationError) as caught:
        inputs.check_moments(detected_at=datetime(9999, 1, 1, tzinfo=UTC), aware_at=datetime(2026, 1, 1, tzinfo=UTC),
                             due_on=date(1900, 1, 1), title="not a date")
    assert set(caught.value.message_dict) == {"detected_at", "due_on"}
    inputs.check_moments(at=None, detected_at=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("text", ['{"a": 1, "a": 2}', '[{"x": {"k": 1, "k": 1}}]'])
def test_json_naming_a_key_twice_in_one_object_is_refused_naming_the_key(text):
    with pytest.raises(inputs.JSONInputError, match=r"the key '(a|k)' appears twice in one object"):
        inputs.json_loads(text)


def test_json_with_the_same_key_in_different_objects_is_read():
    assert inputs.json_loads('[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]
