from django.contrib import admin
from django.urls import include, path

from entconv import two_factor_views

admin.site.site_header = "ENT-École — conventions"
admin.site.site_title = "ENT-École — conventions"
admin.site.index_title = "Gestion des conventions ENT-École"

urlpatterns = [
    # Before admin.site.urls, whose catch-all would take them.
    path("admin/verification/", two_factor_views.verify, name="two_factor_verify"),
    path("admin/double-authentification/", two_factor_views.enrol, name="two_factor_enrol"),
    path("admin/", admin.site.urls),
    path("", include("conventions.urls")),
]
