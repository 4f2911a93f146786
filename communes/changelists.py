"""What the admins of large lists (conventions, schools, communes, collectivités) share to keep
a changelist page cheap to render, whatever the number of rows."""

from django.contrib.admin import helpers
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
