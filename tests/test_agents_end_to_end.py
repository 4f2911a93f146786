"""Issue 14, "done when": four agents created with `add_agent` (Toulouse, Montpellier, the
region, an accountant) log in with their password and second factor, do what the README's
matrix lets them do through the real admin URLs, are refused the rest (404 for another
académie's object, 403 for what their role may not do), and every change they made is in the
history under their name, the business events in the journal, whose chain holds."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from communes.journal import JournalEntry, JournalEvent
from conventions.enums import ConventionStatus, TitreStatus
from conventions.models import Convention, Signatory, Tariff, Titre
from tests.titres_helpers import sign

pytestmark = pytest.mark.django_db

ACADEMIES = ("16", "11")
PASSWORD = "un-mot-de-passe-solide-2026"


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    settings.OTP_REQUIRED = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def add_agent(email, role, academie):
    out = StringIO()
    call_command("add_agent", email, "--role", role, "--academie", academie, stdout=out)
    return next(word for word in out.getvalue().split() if "/admin/mot-de-passe/" in word)


def logged_in(email, role, academie):
    """An agent as he starts: add_agent's link to choose a password, the login page, then a
    code from his authenticator."""
    from django.contrib.auth import get_user_model

    link = add_agent(email, role, academie)
    client = Client()
    choose = client.get(link.split("testserver", 1)[-1], follow=True)
    assert choose.status_code == 200
    client.post(
        choose.redirect_chain[-1][0] if choose.redirect_chain else choose.request["PATH_INFO"],
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    user = get_user_model().objects.get(username=email)
    assert user.check_password(PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="téléphone", confirmed=True)
    client.post(reverse("admin:login"), {"username": email, "password": PASSWORD})
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    verified = client.post("/admin/verification/", {"code": code, "next": "/admin/"})
    assert verified.status_code == 302
    assert client.get("/admin/").status_code == 200
    client.user = user
    return client


def change_form_data(page, **changes):
    """What the browser would post back from an admin change page, with `changes`."""
    data = {}

    def put(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(value, (list, tuple)):
                data[form.add_prefix(name)] = [getattr(v, "pk", v) for v in value]
            elif value is True:
                data[form.add_prefix(name)] = "on"
            else:
                data[form.add_prefix(name)] = getattr(value, "pk", value)

    put(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form)
        for form in formset.initial_forms:
            put(form)
        data[formset.management_form.add_prefix("TOTAL_FORMS")] = len(formset.initial_forms)
    data.update(changes)
    return data


def change(client, obj, **changes):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    page = client.get(url)
    if page.status_code != 200:
        return page.status_code
    response = client.post(url, change_form_data(page, **changes))
    if response.status_code == 200:  # the form came back with its errors
        errors = response.context["adminform"].form.errors
        raise AssertionError(f"{obj} non enregistré : {errors}")
    return response.status_code


def action(client, changelist, name, objs, **data):
    return client.post(
        reverse(f"admin:{changelist}"),
        # "confirmed": the irreversible actions ask first; the others ignore it.
        {"action": name, "_selected_action": [o.pk for o in objs], "confirmed": "yes", **data},
    )


def last_history(obj):
    return type(obj).history.filter(id=obj.pk).order_by("-history_id").first()


def journal_of(user, event):
    return JournalEntry.objects.filter(actor_id=user.pk, event=event)


def test_four_agents_do_what_the_matrix_says_and_leave_their_names(private_storage):
    call_command("loaddata", "reference", "demo", "convention_templates", verbosity=0)
    toulouse_draft = Convention.objects.get(commune__insee_code="31118")
    montpellier_draft = Convention.objects.get(commune__insee_code="11260")
    # Signed by both parties (another workflow): the accountant bills it.
    rodez = sign(Convention.objects.get(commune__insee_code="12202"))
    perpignan = sign(Convention.objects.get(commune__insee_code="66049"))
    signatory = {code: Signatory.objects.filter(academie__code=code).first() for code in ACADEMIES}
    tariff = {code: Tariff.objects.filter(academie__code=code).first() for code in ACADEMIES}

    toulouse = logged_in("anne.martin@ac-toulouse.fr", "gestion", "16")
    montpellier = logged_in("paul.roux@ac-montpellier.fr", "gestion", "11")
    region = logged_in("lea.blanc@region-academique-occitanie.fr", "gestion", "region")
    accountant = logged_in("marc.petit@ac-toulouse.fr", "comptabilite", "16")

    # The accountant may not issue a convention (asked anyway: 403, nothing issued).
    issue_url = reverse("admin:conventions_convention_issue", args=[toulouse_draft.pk])
    assert (
        "Émettre…"
        not in accountant.get(
            reverse("admin:conventions_convention_change", args=[toulouse_draft.pk])
        ).text
    )
    assert accountant.get(issue_url).status_code == 403
    assert accountant.post(issue_url).status_code == 403
    toulouse_draft.refresh_from_db()
    assert toulouse_draft.status == ConventionStatus.BROUILLON

    # Toulouse: his convention, signatory and tariff; then he issues the convention.
    assert change(toulouse, toulouse_draft, document_date="03/12/2026") == 302
    assert change(toulouse, signatory["16"], name="Mme Claire DUPONT") == 302
    assert change(toulouse, tariff["16"], rate="43.50") == 302
    assert toulouse.post(issue_url).status_code == 302
    toulouse_draft.refresh_from_db()
    assert toulouse_draft.status == ConventionStatus.EMISE
    # ... and Montpellier's objects do not exist for him.
    assert change(toulouse, montpellier_draft, document_date="04/12/2026") == 404
    assert change(toulouse, signatory["11"], name="Piraté") == 404
    assert change(toulouse, tariff["11"], rate="1.00") == 404
    refused = reverse("admin:conventions_convention_issue", args=[montpellier_draft.pk])
    assert toulouse.post(refused).status_code == 404

    # Montpellier: the mirror image.
    assert change(montpellier, montpellier_draft, document_date="05/12/2026") == 302
    assert change(montpellier, signatory["11"], name="M. Jean BRUN") == 302
    assert change(montpellier, toulouse_draft, document_date="06/12/2026") == 404
    assert change(montpellier, tariff["16"], rate="2.00") == 404

    # The region: both académies.
    assert change(region, tariff["11"], rate="44.00") == 302
    assert change(region, montpellier_draft, document_date="07/12/2026") == 302

    # The accountant of Toulouse bills and records a payment, for Toulouse only.
    issued = action(
        accountant, "conventions_convention_changelist", "issue_titres", [rodez], index="0"
    )
    assert issued.status_code == 302
    titre = Titre.objects.get(convention=rodez)
    assert titre.status == TitreStatus.EMIS
    paid = action(
        accountant, "conventions_titre_changelist", "mark_paid_selected", [titre],
        apply="1", paid_on="10/01/2027", amount_paid=str(titre.amount),
    )  # fmt: skip
    assert paid.status_code == 302
    titre.refresh_from_db()
    assert titre.status == TitreStatus.PAYE
    # He may not change a convention, nor bill Montpellier.
    assert (
        accountant.post(
            reverse("admin:conventions_convention_change", args=[rodez.pk]),
            {"document_date": "01/01/2027"},
        ).status_code
        == 403
    )
    refused_titres = action(
        accountant, "conventions_convention_changelist", "issue_titres", [perpignan], index="0"
    )
    assert refused_titres.status_code == 404
    assert not Titre.objects.filter(convention=perpignan).exists()

    # What was refused changed nothing.
    signatory["11"].refresh_from_db()
    tariff["16"].refresh_from_db()
    assert signatory["11"].name == "M. Jean BRUN"
    assert str(tariff["16"].rate) == "43.50"

    # Every change is in the history, under its author's name.
    toulouse_draft.refresh_from_db()
    montpellier_draft.refresh_from_db()
    history = Convention.history.filter(id=toulouse_draft.pk)
    dated = history.filter(document_date="2026-12-03").order_by("history_id").first()
    assert dated.history_user == toulouse.user
    assert last_history(toulouse_draft).history_user == toulouse.user  # issued
    assert last_history(toulouse_draft).status == ConventionStatus.EMISE
    assert last_history(signatory["16"]).history_user == toulouse.user
    assert last_history(signatory["16"]).name == "Mme Claire DUPONT"
    assert last_history(tariff["16"]).history_user == toulouse.user
    assert last_history(signatory["11"]).history_user == montpellier.user
    assert last_history(tariff["11"]).history_user == region.user
    assert str(last_history(tariff["11"]).rate) == "44.00"
    dated = Convention.history.filter(id=montpellier_draft.pk, document_date="2026-12-05")
    assert dated.get().history_user == montpellier.user
    assert last_history(montpellier_draft).history_user == region.user
    assert str(montpellier_draft.document_date) == "2026-12-07"
    assert last_history(titre).history_user == accountant.user
    assert last_history(titre).status == TitreStatus.PAYE
    assert Titre.history.filter(id=titre.pk, status=TitreStatus.EMIS).exists()
    # Nobody's name is on what they could not touch.
    # (billing moved Rodez to "facturée": his only change to a convention)
    billed = Convention.history.filter(history_user=accountant.user)
    assert {(h.id, h.status) for h in billed} == {(rodez.pk, ConventionStatus.FACTUREE)}
    assert not Tariff.history.filter(id=tariff["16"].pk, history_user=montpellier.user).exists()

    # The business events are in the journal, and its chain holds.
    issued_event = journal_of(toulouse.user, JournalEvent.CONVENTION_ISSUED).get()
    assert issued_event.object_id == str(toulouse_draft.pk)
    assert issued_event.data["sha256"] == toulouse_draft.pdf_sha256
    assert journal_of(accountant.user, JournalEvent.TITRE_ISSUED).get().object_id == str(titre.pk)
    assert journal_of(accountant.user, JournalEvent.TITRE_PAID).get().object_id == str(titre.pk)
    # The refused attempts are written down too, never as a change.
    assert journal_of(toulouse.user, JournalEvent.SCOPE_REFUSED).exists()
    assert (
        not journal_of(toulouse.user, JournalEvent.CONVENTION_ISSUED)
        .exclude(object_id=str(toulouse_draft.pk))
        .exists()
    )
    for agent in (toulouse, montpellier, region, accountant):
        assert journal_of(agent.user, JournalEvent.STAFF_LOGIN).exists()
    out = StringIO()
    call_command("verify_journal", stdout=out)
    assert "Journal intègre" in out.getvalue()
