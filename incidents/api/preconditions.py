"""Optimistic locking over HTTP: the detail response carries `ETag: "<version>"`; a change to the incident row
names the version it was based on (`version` in the body or an `If-Match: "<version>"` header).

A change without any version is refused with 428 Precondition Required, so that no client overwrites blindly; a
stale version is refused by the service (`StaleRecordError`), which the API answers with 409 Conflict naming who
changed the record and when.
"""

from rest_framework import exceptions, status

VERSION_HELP = ("The `version` of the incident you read (or send it as `If-Match: \"<version>\"`). Required for "
                "changes: without it the change is refused with 428; a stale one gets 409 naming who changed the "
                "incident and when.")


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = ("Send the version you read: `version` in the body or an `If-Match: \"<version>\"` header "
                      "(the ETag of the incident).")
    default_code = "precondition_required"


def _as_version(value, field):
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise exceptions.ValidationError({field: f"{value!r} is not a version (a positive whole number)."})
    return int(text)


def if_match_version(header: str | None) -> int | None:
    """The version named by an If-Match header (`"3"`, `W/"3"` or `3`), or None when there is no header."""
    if header is None or not header.strip():
        return None
    tags = [tag.strip() for tag in header.split(",")]
    if tags == ["*"]:
        raise PreconditionRequired("`If-Match: *` names no version; send the ETag of the incident you read.")
    if len(tags) != 1:
        raise exceptions.ValidationError({"If-Match": "Name exactly one version (the ETag you read)."})
    tag = tags[0].removeprefix("W/").strip('"')
    return _as_version(tag, "If-Match")


def expected_version(request) -> int:
    """The version a change is based on: from the body and/or If-Match (they must agree); 428 without any."""
    body = request.data.get("version") if hasattr(request.data, "get") else None
    body = None if body in (None, "") else _as_version(body, "version")
    header = if_match_version(request.headers.get("If-Match"))
    if body is None and header is None:
        raise PreconditionRequired()
    if body is not None and header is not None and body != header:
        raise exceptions.ValidationError({"version": f"The body names version {body} but If-Match names version "
                                                     f"{header}; send one version."})
    return body if body is not None else header


def etag(version) -> str:
    return f'"{version}"'
