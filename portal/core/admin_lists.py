"""Admin changelists that stay fast on large tables (the Scale rule of DESIGN.md).

`LargeListAdmin` gives a changelist:
- a count that is the planner's estimate for the unfiltered list of a large table on PostgreSQL (the page says
  "about"), exact otherwise (`portal.core.pagination.estimated_count`), and no second count of the whole table
  (`show_full_result_count = False`);
- pages read by a deferred join: the page's ids from the index of the order, then those rows with their joins;
- every column sort followed by `ordering_ties` (the list's default order), in the direction that lets the index
  of that column serve the whole order (`portal.core.pagination.tie_broken`).

Its filters should be fixed choices or cached lists, never a DISTINCT over the table per request: no
`date_hierarchy` (a DISTINCT over the dates; `DateFieldListFilter` offers fixed ranges instead), no
`RelatedOnlyFieldListFilter` or `AllValuesFieldListFilter` on a large table.
"""

from django.core.cache import cache

from portal.core.admin import BoundedChangeList
from portal.core.pagination import EstimatedCountPaginator, tie_broken

LIST_CHOICES_SECONDS = 600


class LargeChangeList(BoundedChangeList):
    def get_results(self, request):
        super().get_results(request)
        if not self.multi_page and not self.show_all:  # one page: read it the same way, so the queries are the same
            self.result_list = self.paginator.page(1).object_list

    def _get_deterministic_ordering(self, ordering):
        ties = getattr(self.model_admin, "ordering_ties", None)
        if ties:
            ordering = tie_broken(ordering, ties)
        return super()._get_deterministic_ordering(ordering)


class LargeListAdmin:
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    ordering_ties = None  # e.g. ["-detected_at", "-id"]: the default order, ending on a unique key

    def get_changelist(self, request, **kwargs):
        return LargeChangeList


def cached_choices(key: str, compute, seconds: int = LIST_CHOICES_SECONDS):
    """A filter's choices computed at most every `seconds` (a value added since shows up within that time)."""
    choices = cache.get(key)
    if choices is None:
        choices = list(compute())
        cache.set(key, choices, seconds)
    return choices
