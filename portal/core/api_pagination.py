"""API list paging: page numbers (`?page=N`) and cursors (`?cursor=`) on the same list (see
`portal.core.pagination` for how each stays fast at any depth).

- `?page=N` (from 1): `{"count", "count_is_estimate", "next", "previous", "results"}`. `count` is exact, except
  for an unfiltered list of a large table on PostgreSQL, where it is the planner's estimate and
  `count_is_estimate` is true. A page past the last is 404 naming the last page; a page that is not a whole number
  from 1 is 400 naming `page`.
- `?cursor=` (empty for the first page, then the `next`/`previous` links): `{"next", "previous", "results"}`,
  no count. For a client walking the whole list: every row exactly once, even while rows are added. A cursor
  this list did not give out, or one given for another `ordering`, is 400 naming `cursor`.
"""

from django.conf import settings
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from portal.core import pagination
from portal.core.api import ConfidentialOrderingFilter
from portal.core.pagination import (
    BadCursor,
    Keyset,
    nulls_last_everywhere,
    page_ids,
    rows_by_ids,
    tie_broken,
)


class PageOrCursorPagination(BasePagination):
    page_query_param = "page"
    cursor_query_param = "cursor"
    page_size = None  # REST_FRAMEWORK["PAGE_SIZE"]

    def get_page_size(self):
        return self.page_size or settings.REST_FRAMEWORK["PAGE_SIZE"]

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.by_cursor = self.cursor_query_param in request.query_params
        if self.by_cursor:
            return self._cursor_page(queryset, request.query_params[self.cursor_query_param].strip())
        return self._numbered_page(queryset, request.query_params.get(self.page_query_param, "1").strip())

    # --- page numbers --------------------------------------------------------------------------------------------

    def _numbered_page(self, queryset, raw):
        size = self.get_page_size()
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise exceptions.ValidationError({self.page_query_param: [
                f"A page number is a whole number from 1; {raw[:40]!r} is not one."]})
        number = int(raw)
        self.count, self.count_is_estimate = pagination.estimated_count(queryset)
        start = (number - 1) * size
        # A page past the end reads nothing (and an offset beyond the database's integers would fail): past an exact
        # count, or far past an estimated one, it is answered without a query.
        beyond = start >= self.count if not self.count_is_estimate else start > 2 * self.count + 100 * size
        ids = [] if beyond and number > 1 else page_ids(queryset, start, start + size + 1)  # one more: a next page?
        if not ids and number > 1:
            last = max(1, -(-self.count // size))
            about = "about " if self.count_is_estimate else ""
            raise exceptions.NotFound(f"Page {number} is past the end of the list: it has {about}{last} "
                                      f"page{'s' if last != 1 else ''} of {size}.")
        self.number, self.has_next = number, len(ids) > size
        return rows_by_ids(queryset, ids[:size])

    def _page_link(self, number):
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    # --- cursors ---------------------------------------------------------------------------------------------------

    def _cursor_page(self, queryset, token):
        try:
            keyset = Keyset(queryset)
            rows, self.next_cursor, self.previous_cursor = keyset.page(token or None, self.get_page_size())
        except BadCursor as exc:
            raise exceptions.ValidationError({self.cursor_query_param: [str(exc)]}) from exc
        return rows

    def _cursor_link(self, cursor):
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    # --- the response and its schema -------------------------------------------------------------------------------

    def get_paginated_response(self, data):
        if self.by_cursor:
            return Response({"next": self._cursor_link(self.next_cursor),
                             "previous": self._cursor_link(self.previous_cursor), "results": data})
        return Response({
            "count": self.count,
            "count_is_estimate": self.count_is_estimate,
            "next": self._page_link(self.number + 1) if self.has_next else None,
            "previous": self._page_link(self.number - 1) if self.number > 1 else None,
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123, "description": (
                    "With `page` only: the number of rows; the planner's estimate when `count_is_estimate`.")},
                "count_is_estimate": {"type": "boolean", "description": (
                    "With `page` only: true for an unfiltered list of a large table on PostgreSQL, whose `count` "
                    "is then an estimate (pages may end a little before or after it).")},
                "next": {**link, "description": "The next page (a `page` or `cursor` link, as requested)."},
                "previous": {**link, "description": "The previous page."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.page_query_param, "required": False, "in": "query", "schema": {"type": "integer"},
             "description": "A page number (from 1). The response has the row count; any page is as fast as the "
                            "first. Not with `cursor`."},
            {"name": self.cursor_query_param, "required": False, "in": "query", "schema": {"type": "string"},
             "description": "Walk the list by cursor: empty for the first page, then follow `next`/`previous`. "
                            "No count; every row exactly once, for clients reading the whole list."},
        ]

    def get_results(self, data):
        return data["results"]


class TieBreakingOrderingFilter(ConfidentialOrderingFilter):
    """The reader's `ordering`, followed by the view's default `ordering` as tie-breaker (`tie_broken`), with NULL
    after every value (`nulls_last_everywhere`): one index per offered ordering serves it in both directions, and
    cursors can walk it."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view) or []
        ordering = tie_broken(ordering, getattr(view, "ordering", None) or ["-pk"])
        nullable = {field.name for field in queryset.model._meta.concrete_fields if field.null}
        return nulls_last_everywhere(ordering, nullable)
