"""What the admins of large lists (conventions, schools, communes, collectivités) share to keep
a changelist page cheap to render, whatever the number of rows."""

from urllib.parse import urlsplit

from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext


class RowLinksChangeList(ChangeList):
    """Adds the list's filters and search to the rows' links once per page.

    Django adds them to each row's link through add_preserved_filters, which resolves the
    row's URL to learn that it is a change page: a URL resolution per row whenever the list
    is searched or filtered. Every row links to the same view, so the query string is worked
    out for the first row and reused.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the rows' links read cl.preserved_filters; url_for_result adds them instead.
        self.row_link_filters, self.preserved_filters = self.preserved_filters, ""
        self.row_link_query = None

    def url_for_result(self, result):
        url = super().url_for_result(result)
        if not self.row_link_filters:
            return url
        if self.row_link_query is None:
            context = {"preserved_filters": self.row_link_filters, "opts": self.opts}
            self.row_link_query = urlsplit(add_preserved_filters(context, url)).query
        return f"{url}?{self.row_link_query}"


class ChangelistRowsMixin:
    def get_changelist(self, request, **kwargs):
        return RowLinksChangeList

    # Django renders each row's checkbox through the form templates, which costs a template
    # rendering per row (about a sixth of a conventions page). Same markup, built directly.
    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )


class SortedIdsPaginator(Paginator):
    """Sorts and slices the primary keys alone, then loads the page's rows.

    Sorting on a joined column (a commune's name) makes the database sort every row before
    keeping fifty; sorting wide rows with all their select_related columns costs several
    times more than sorting their keys.
    """

    def _get_page(self, object_list, number, paginator):
        if isinstance(object_list, QuerySet):
            # The sliced subquery keeps its ORDER BY and LIMIT; the outer query sorts again,
            # fifty rows only.
            object_list = self.object_list.filter(pk__in=object_list.values("pk"))
        return super()._get_page(object_list, number, paginator)
