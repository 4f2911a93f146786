"""What the admins of large lists (conventions, schools, communes, collectivités) share to keep
a changelist page cheap to render, whatever the number of rows."""

from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext


class ActionCheckboxMixin:
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
