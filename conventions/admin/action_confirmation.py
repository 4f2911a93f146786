"""A confirmation page before an irreversible bulk action, as Django's own before deleting:
what will happen, the rows concerned, "Oui, je confirme" or "Non, revenir"."""

from django.contrib.admin import helpers
from django.template.response import TemplateResponse

CONFIRMED = "confirmed"
# A whole year may be selected: the page names the first rows and counts the others.
SHOWN = 50


def confirmed(request):
    return request.POST.get(CONFIRMED) == "yes"


def confirmation_page(model_admin, request, *, title, intro, rows, warning=""):
    """The page that posts the same selection back with the confirmation.

    `rows` are the texts naming what the action touches. The selection goes back as it
    came (the ticked boxes, or "all the list's rows" and the list's filters in the URL), so
    the action recomputes its own queryset, permission checks included.
    """
    rows = list(rows)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "intro": intro,
        "warning": warning,
        "rows": rows[:SHOWN],
        "others": max(len(rows) - SHOWN, 0),
        "action": request.POST.get("action", ""),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirmed_name": CONFIRMED,
        "back_url": request.get_full_path(),
    }
    return TemplateResponse(request, "admin/action_confirmation.html", context)
