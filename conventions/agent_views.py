"""The page an agent opens from the one-time link that add_agent prints, to choose a
password; Django's reset views, shown as the admin's pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import reverse, reverse_lazy


class AdminPageMixin:
    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **admin.site.each_context(self.request),
            "login_url": reverse("admin:login"),
        }


class ChoosePasswordView(AdminPageMixin, auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("agent_password_done")


class PasswordChosenView(AdminPageMixin, auth_views.PasswordResetCompleteView):
    pass
