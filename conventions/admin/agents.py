"""The users' page: an agent's scope beside his account, and "Ajouter un agent", the same
as `manage.py add_agent` (conventions/agents.py)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path

from communes.admin_wording import FrenchInlineMixin
from communes.models import AgentScope
from conventions.agents import ACADEMIE_CHOICES, ROLE_CHOICES, ROLES, add_agent


class AgentScopeInline(FrenchInlineMixin, admin.StackedInline):
    model = AgentScope
    can_delete = False
    fields = ["academie"]
    verbose_name = "périmètre"
    verbose_name_plural = "périmètre"


class AddAgentForm(forms.Form):
    email = forms.CharField(label="Adresse e-mail", help_text="aussi son identifiant")
    name = forms.CharField(label="Prénom et nom", required=False, help_text="« Prénom NOM »")
    role = forms.ChoiceField(label="Rôle", choices=ROLE_CHOICES)
    academie = forms.ChoiceField(label="Académie", choices=ACADEMIE_CHOICES)


class AddAgentMixin:
    inlines = [AgentScopeInline]

    def get_urls(self):
        view = self.admin_site.admin_view(self.add_agent_view)
        return [path("add-agent/", view, name="auth_user_add_agent"), *super().get_urls()]

    def add_agent_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = AddAgentForm(request.POST or None)
        agent = None
        if form.is_valid():
            try:
                agent = add_agent(**form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Ajouter un agent",
            "form": form,
            "agent": agent,
            "role_label": ROLES[form.cleaned_data["role"]][0] if agent else None,
        }
        return TemplateResponse(request, "admin/auth/user/add_agent.html", context)
