"""Every admin action, posted by every role with a valid CSRF token: allowed ones do their
work, refused ones answer 403 and change nothing (README, "Rôles et permissions")."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from communes.models import Collectivite
from conventions.enums import ConventionStatus, TitreStatus
from conventions.models import Convention, IssuingBatch, Titre
from tests import permissions_helpers as h
from tests.factories import CollectiviteFactory

pytestmark = pytest.mark.django_db

S, G, C = "superuser", "gestion", "comptabilite"
CONVENTIONS = "admin:conventions_convention_changelist"
TITRES = "admin:conventions_titre_changelist"
COLLECTIVITES = "admin:communes_collectivite_changelist"


def convention_status(status):
    return lambda objs, response: Convention.objects.get(pk=objs[0].pk).status == status


def link_changed(objs, response):
    return Convention.objects.get(pk=objs[0].pk).access_token_hash not in (
        None,
        objs[0].access_token_hash,
    )


def titre_status(status):
    return lambda objs, response: Titre.objects.get(pk=objs[0].pk).status == status


# (changelist, action, roles allowed, what is selected, extra POST data, did it happen?)
ACTIONS = [
    (
        CONVENTIONS,
        "issue_in_background",
        {S, G},
        lambda: [h.ceret()],
        {},
        lambda objs, response: IssuingBatch.objects.exists(),
    ),
    (
        CONVENTIONS,
        "download_zip",
        {S, G},
        lambda: [h.issued_ceret()],
        {},
        lambda objs, response: response.get("Content-Disposition", "").startswith("attachment"),
    ),
    (
        CONVENTIONS,
        "send_link",
        {S, G},
        lambda: [h.issued_ceret()],
        {},
        lambda objs, response: (
            len(mail.outbox) == 1
            and Convention.objects.get(pk=objs[0].pk).status == ConventionStatus.ENVOYEE
        ),
    ),
    (
        CONVENTIONS,
        "regenerate_link",
        {S, G},
        lambda: [h.issued_ceret_with_link()],
        {},
        link_changed,
    ),
    (
        CONVENTIONS,
        "revoke_link",
        {S, G},
        lambda: [h.issued_ceret_with_link()],
        {},
        lambda objs, response: not Convention.objects.get(pk=objs[0].pk).has_access_link,
    ),
    (
        CONVENTIONS,
        "prepare_titres",
        {S, C},
        lambda: [h.signed_rodez()],
        {},
        lambda objs, response: Titre.objects.filter(convention=objs[0]).exists(),
    ),
    (
        CONVENTIONS,
        "issue_titres",
        {S, C},
        lambda: [h.signed_rodez()],
        {},
        convention_status(ConventionStatus.FACTUREE),
    ),
    (
        CONVENTIONS,
        "delete_selected",
        {S, G},
        lambda: [h.ceret()],
        {"post": "yes"},
        lambda objs, response: not Convention.objects.filter(pk=objs[0].pk).exists(),
    ),
    (
        TITRES,
        "issue_selected",
        {S, C},
        lambda: [h.prepared_titre()],
        {},
        titre_status(TitreStatus.EMIS),
    ),
    (
        TITRES,
        "mark_paid_selected",
        {S, C},
        lambda: [h.issued_titre()],
        {"apply": "1", "paid_on": "2027-01-10", "amount_paid": ""},
        titre_status(TitreStatus.PAYE),
    ),
    (
        TITRES,
        "cancel_selected",
        {S},
        lambda: [h.issued_titre()],
        {"apply": "1", "reason": "erreur de débiteur"},
        titre_status(TitreStatus.ANNULE),
    ),
    # Titres are cancelled, never deleted: by nobody.
    (
        TITRES,
        "delete_selected",
        set(),
        lambda: [h.issued_titre()],
        {"post": "yes"},
        lambda objs, response: not Titre.objects.filter(pk=objs[0].pk).exists(),
    ),
    (
        COLLECTIVITES,
        "delete_selected",
        {S, G},
        lambda: [CollectiviteFactory()],
        {"post": "yes"},
        lambda objs, response: not Collectivite.objects.filter(pk=objs[0].pk).exists(),
    ),
]


@pytest.mark.parametrize("role", [S, G, C])
@pytest.mark.parametrize(
    ("changelist", "action", "allowed", "select", "data", "happened"),
    ACTIONS,
    ids=[f"{changelist.split('_')[1]}-{action}" for changelist, action, *_ in ACTIONS],
)
def test_every_action_as_every_role(
    seed_data, role, changelist, action, allowed, select, data, happened
):
    objs = select()
    client = h.role_client(role)
    url = reverse(changelist)

    response = h.post_with_token(
        client,
        url,
        url,
        # The irreversible ones ask first: post the confirmation as its page does.
        {
            "action": action,
            "_selected_action": [obj.pk for obj in objs],
            "index": "0",
            "confirmed": "yes",
            **data,
        },
    )

    if response.streaming:
        # Reading a file response to its end closes it (the test client's own way, which
        # keeps the test's database connection open).
        b"".join(response.streaming_content)
    if role in allowed:
        assert response.status_code in (200, 302), response.status_code
        assert happened(objs, response)
    else:
        assert response.status_code == 403
        assert not happened(objs, response)


@pytest.mark.parametrize(
    ("role", "offered", "absent"),
    [
        (S, ["send_link", "issue_in_background", "prepare_titres", "delete_selected"], []),
        (
            G,
            ["send_link", "regenerate_link", "revoke_link", "issue_in_background", "download_zip"],
            ["prepare_titres", "issue_titres"],
        ),
        (
            C,
            ["prepare_titres", "issue_titres"],
            [
                "send_link",
                "regenerate_link",
                "revoke_link",
                "issue_in_background",
                "download_zip",
                "delete_selected",
            ],
        ),
    ],
)
def test_the_conventions_action_menu_offers_what_the_role_may_run(
    seed_data, role, offered, absent
):
    page = h.role_client(role).get(reverse(CONVENTIONS)).text
    for action in offered:
        assert f'<option value="{action}">' in page
    for action in absent:
        assert f'<option value="{action}">' not in page


def test_a_crafted_post_of_a_refused_action_changes_nothing(seed_data):
    # Issue 12: action=regenerate_link&_selected_action=16 gave an accountant a live link.
    convention = h.issued_ceret_with_link()
    before = convention.access_token_hash
    client = h.role_client(C)
    url = reverse(CONVENTIONS)

    response = h.post_with_token(
        client,
        url,
        url,
        {"action": "regenerate_link", "_selected_action": [convention.pk], "index": "0"},
    )

    assert response.status_code == 403
    assert Convention.objects.get(pk=convention.pk).access_token_hash == before
    # No private link in the refusal (the admin's own menu links to its conventions list).
    assert not re.search(r"/convention/[A-Za-z0-9_-]{43}", response.text)
    assert "/admin/conventions/convention/" in response.text  # the admin's layout


def test_an_action_post_without_the_csrf_token_is_refused(seed_data):
    convention = h.issued_ceret()
    client = h.role_client(G)
    response = client.post(
        reverse(CONVENTIONS),
        {"action": "send_link", "_selected_action": [convention.pk], "index": "0"},
    )
    assert response.status_code == 403
    assert mail.outbox == []
    assert Convention.objects.get(pk=convention.pk).status == ConventionStatus.EMISE


def test_every_action_of_the_project_declares_its_permissions():
    from django.contrib import admin

    undeclared = [
        f"{model._meta.label}.{action}"
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"communes", "schools", "conventions"}
        for action in model_admin.actions or []
        if not getattr(model_admin.get_action(action).func, "allowed_permissions", None)
    ]
    assert undeclared == []
