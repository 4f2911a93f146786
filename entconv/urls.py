from django.contrib import admin
from django.urls import include, path

from conventions import agent_views
from conventions.admin.dashboard import campaign_dashboard, campaign_dashboard_xlsx
from entconv import two_factor_views
from entconv.health import health

admin.site.site_header = "ENT-École — conventions"
admin.site.site_title = "ENT-École — conventions"
admin.site.index_title = "Gestion des conventions ENT-École"

handler403 = "entconv.error_views.permission_denied"

urlpatterns = [
    # Before admin.site.urls; admin_view() sends whoever is not staff to the login page.
    path(
        "admin/tableau-de-bord/",
        admin.site.admin_view(campaign_dashboard),
        name="campaign_dashboard",
    ),
    path(
        "admin/tableau-de-bord/export.xlsx",
        admin.site.admin_view(campaign_dashboard_xlsx),
        name="campaign_dashboard_xlsx",
    ),
    # Before the admin's own URLs, which end with a catch-all.
    path(
        "admin/mot-de-passe/<uidb64>/<token>/",
        agent_views.ChoosePasswordView.as_view(),
        name="agent_password",
    ),
    path(
        "admin/mot-de-passe/choisi/",
        agent_views.PasswordChosenView.as_view(),
        name="agent_password_done",
    ),
    # Before admin.site.urls, whose catch-all would take them.
    path("admin/verification/", two_factor_views.verify, name="two_factor_verify"),
    path("admin/double-authentification/", two_factor_views.enrol, name="two_factor_enrol"),
    path("admin/", admin.site.urls),
    path("sante/", health, name="health"),
    path("", include("conventions.urls")),
]
