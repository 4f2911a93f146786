from django.contrib import admin
from django.urls import include, path

from entconv.health import health

admin.site.site_header = "ENT-École — conventions"
admin.site.site_title = "ENT-École — conventions"
admin.site.index_title = "Gestion des conventions ENT-École"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sante/", health, name="health"),
    path("", include("conventions.urls")),
]
