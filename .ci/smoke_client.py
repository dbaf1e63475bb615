"""Production smoke client (`.ci/production-smoke`): signs in through the login form of a portal served by gunicorn in
production mode and fetches the pages an operator would open first, and every static file they name.

Usage: smoke_client.py BASE_URL USERNAME PASSWORD. Exit status 0 when every page answered 200 and every static file
was served; otherwise one line per failure and status 1. Standard library only: the portal's cookies are `Secure`,
so a cookie jar would not send them over the loopback's plain HTTP; they are kept here by hand, and every request
says it came through an HTTPS proxy (`X-Forwarded-Proto: https`), as production's reverse proxy does.
"""

import http.client
import re
import sys
from html import unescape
from urllib.parse import urlencode, urljoin, urlsplit

STATIC_REFERENCE = re.compile(r"""(?:src|href)=["']([^"']*/static/[^"']+)["']""")


class Portal:
    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.origin = f"https://{self.host}:{self.port}"
        self.cookies: dict[str, str] = {}
        self.failures: list[str] = []

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": "https",
            "Origin": self.origin,
            "Referer": self.origin + path,
            "Accept-Encoding": "identity",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content

    def get(self, path: str, *, label: str, expect: int = 200) -> str:
        status, _, content = self.request("GET", path)
        line = f"{status} GET {path} ({label})"
        print(line)
        if status != expect:
            self.failures.append(f"{line}: expected {expect}")
        return content.decode("utf-8", "replace")

    def sign_in(self, username: str, password: str) -> None:
        page = self.get("/admin/login/?next=/admin/", label="login form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not token:
            sys.exit("smoke: the login form carries no CSRF token")
        form = urlencode({"csrfmiddlewaretoken": token.group(1), "username": username, "password": password,
                          "next": "/admin/"})
        status, headers, _ = self.request("POST", "/admin/login/?next=/admin/", body=form)
        print(f"{status} POST /admin/login/ (sign in as {username})")
        if status != 302 or "sessionid" not in self.cookies:
            sys.exit(f"smoke: signing in as {username} failed (status {status}, location {headers.get('location')})")

    def first_link(self, page: str, pattern: str, *, label: str) -> str | None:
        match = re.search(pattern, page)
        if match is None:
            self.failures.append(f"no link to {label} found")
            return None
        return unescape(match.group(1))

    def static_files(self, pages: dict[str, str]) -> None:
        seen: set[str] = set()
        for path, page in pages.items():
            for reference in STATIC_REFERENCE.findall(page):
                url = urlsplit(urljoin(self.origin + path, unescape(reference))).path
                if url in seen:
                    continue
                seen.add(url)
                status, _, content = self.request("GET", url)
                if status != 200 or not content:
                    self.failures.append(f"{status} GET {url} (static file named by {path})")
        hashed = [url for url in seen if re.search(r"\.[0-9a-f]{12}\.\w+$", url)]
        print(f"{len(seen)} static files named by the pages were fetched, {len(hashed)} of them by hashed name")
        if not hashed:
            self.failures.append("no page names a hashed static file (is the manifest storage in use?)")


def main(base_url: str, username: str, password: str) -> int:
    portal = Portal(base_url)
    portal.get("/health/", label="health")
    portal.sign_in(username, password)
    pages: dict[str, str] = {}
    pages["/admin/"] = portal.get("/admin/", label="admin index")
    incidents = portal.get("/admin/incidents/incident/", label="incident list")
    incident = portal.first_link(incidents, r'href="(/admin/incidents/incident/\d+/change/)"', label="an incident")
    if incident:
        pages[incident] = portal.get(incident, label="an incident")
        history = incident.replace("/change/", "/history/")
        pages[history] = portal.get(history, label="an incident's history")
    pages["/dashboard/"] = portal.get("/dashboard/", label="governance dashboard")
    pages["/audit/"] = audit = portal.get("/audit/", label="audit index")
    record = portal.first_link(audit, r'href="(/audit/incidents/[^"/]+/)"', label="an incident's audit page")
    if record:
        pages[record] = portal.get(record, label="an incident's audit trail")
    portal.get("/api/schema/", label="API schema")
    pages["/api/docs/"] = portal.get("/api/docs/", label="API docs")
    portal.static_files(pages)
    for failure in portal.failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if portal.failures:
        return 1
    print("production smoke: every page answered 200 and every static file was served")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: smoke_client.py BASE_URL USERNAME PASSWORD")
    sys.exit(main(*sys.argv[1:]))
