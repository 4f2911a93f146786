"""The campaign's admin pages, on a school year: preview, confirmation and report."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from communes.models import Academie
from communes.scope import scope_for
from conventions.admin.common import admin_paths
from conventions.models import SchoolYear, Tariff
from conventions.renewal import (
    RenewalRefused,
    check_input,
    copy_missing_references,
    next_label,
    plan_renewal,
    renew,
)

# Beyond these, the page says how many more: the report of 2,400 drafts stays readable.
SHOWN_ROWS = 100
COPY_PERMISSIONS = ["conventions.add_schoolyear", "conventions.add_signatory"]
COPY_PERMISSIONS += ["conventions.add_conventiontemplate"]


class CampaignRenewalMixin:
    """On a school year, "Préparer la campagne <next year>…" renews its conventions."""

    def renewal_urls(self):
        return admin_paths(self, [("<int:pk>/campagne/", self.renewal_view, "renewal")])

    def has_renewal_permission(self, request):
        # Renewing makes conventions: those who may add one (gestion, superuser).
        return request.user.has_perm("conventions.add_convention")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        school_year = self.get_object(request, object_id)
        if school_year is not None and self.has_renewal_permission(request):
            extra_context = {
                **(extra_context or {}),
                "renewal_label": next_label(school_year),
                "renewal_url": reverse(
                    "admin:conventions_schoolyear_renewal", args=[school_year.pk]
                ),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def scoped_academie_code(self, request):
        academies = scope_for(request.user)
        if academies is None:
            return None
        if len(academies) != 1:
            raise PermissionDenied
        return Academie.objects.get(pk=next(iter(academies))).code

    def renewal_view(self, request, pk):
        source = get_object_or_404(SchoolYear, pk=pk)
        if not self.has_renewal_permission(request):
            raise PermissionDenied
        target_label = next_label(source)
        here = reverse("admin:conventions_schoolyear_renewal", args=[pk])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": source,
            "target_label": target_label,
            "title": f"Préparer la campagne {target_label}",
            "shown_rows": SHOWN_ROWS,
        }
        # An académie's agent prepares his académie's campaign only (communes/scope.py).
        code = self.scoped_academie_code(request)
        if request.method == "POST" and "copy" in request.POST:
            if not all(request.user.has_perm(name) for name in COPY_PERMISSIONS):
                raise PermissionDenied
            try:
                _, target, academie = check_input(source.label, target_label, code)
            except RenewalRefused as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return HttpResponseRedirect(here)
            academies = plan_renewal(source, target_label, target, academie).academies
            created = copy_missing_references(source, target_label, academies)
            if created:
                self.message_user(
                    request,
                    f"Copié depuis {source} : {', '.join(created)}. Relisez avant d'émettre.",
                    messages.SUCCESS,
                )
            else:
                self.message_user(request, f"Rien à copier depuis {source}.", messages.WARNING)
            return HttpResponseRedirect(here)
        if request.method == "POST" and "confirm" in request.POST:
            try:
                plan = renew(source.label, target_label, code)
            except RenewalRefused as error:
                context["error"] = " ".join(error.messages)
            else:
                context["plan"] = plan
                return TemplateResponse(
                    request, "admin/conventions/schoolyear/renewal.html", context
                )
        try:
            source, target, academie = check_input(source.label, target_label, code)
        except RenewalRefused as error:
            context["error"] = " ".join(error.messages)
            return TemplateResponse(request, "admin/conventions/schoolyear/renewal.html", context)
        plan = plan_renewal(source, target_label, target, academie)
        context["plan"] = plan
        if plan.missing:
            context["tariff_links"] = self.missing_tariff_links(plan)
            context["can_copy"] = plan.copyable and all(
                request.user.has_perm(name) for name in COPY_PERMISSIONS
            )
        return TemplateResponse(request, "admin/conventions/schoolyear/renewal.html", context)

    def missing_tariff_links(self, plan):
        if plan.target_year is None:
            return []
        priced = set(
            Tariff.objects.filter(school_year=plan.target_year).values_list("academie", flat=True)
        )
        add_url = reverse("admin:conventions_tariff_add")
        return [
            (
                f"Ajouter le tarif {plan.target_year} de l'{academie}",
                add_url
                + "?"
                + urlencode({"school_year": plan.target_year.pk, "academie": academie.pk}),
            )
            for academie in sorted(plan.academies, key=lambda a: a.name)
            if academie.pk not in priced
        ]
