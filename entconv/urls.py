from django.contrib import admin
from django.urls import include, path

from conventions.admin.dashboard import campaign_dashboard, campaign_dashboard_xlsx

admin.site.site_header = "ENT-École — conventions"
admin.site.site_title = "ENT-École — conventions"
admin.site.index_title = "Gestion des conventions ENT-École"

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
    path("admin/", admin.site.urls),
    path("", include("conventions.urls")),
]
