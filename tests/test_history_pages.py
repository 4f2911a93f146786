"""Every "Historique" page of the admin opens, for a superuser and for a Toulouse agent (on
a row of his académie), once each row has been changed."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from communes.journal import acting_as
from tests.roles import make_user
from tests.scope_helpers import load_world

pytestmark = pytest.mark.django_db

HISTORY_ADMINS = sorted(
    (model._meta.label_lower, model_admin)
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, SimpleHistoryAdmin)
)


def test_every_history_admin_is_tested():
    labels = {label for label, _ in HISTORY_ADMINS}
    assert labels >= {
        "communes.collectivite",
        "schools.school",
        "conventions.convention",
        "conventions.tariff",
        "conventions.signatory",
        "conventions.conventiontemplate",
        "conventions.titre",
    }


@pytest.mark.parametrize("role", ["superuser", "gestion"])
@pytest.mark.parametrize(("label", "model_admin"), HISTORY_ADMINS, ids=lambda v: str(v))
def test_the_history_page_opens(label, model_admin, role):
    load_world()
    user = make_user(role, academie=None if role == "superuser" else "16")
    request = RequestFactory().get("/admin/")
    request.user = user
    obj = model_admin.get_queryset(request).order_by("pk").first()
    assert obj is not None, f"aucune ligne de {label} pour {role}"
    with acting_as(user):
        obj.save()  # one more version, so that the page has a change to show
    client = Client()
    client.force_login(user)
    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])

    page = client.get(url)

    assert page.status_code == 200
    assert f"Historique : {obj}" in page.text
    assert user.username in page.text
