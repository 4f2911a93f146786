from django.contrib import admin
from django.shortcuts import render
from django.urls import reverse
from django.views import defaults


def permission_denied(request, exception):
    # Staff refused inside the admin stay in the admin's layout, with its way back; the
    # public site (and whoever is not staff) keeps the public page.
    user = getattr(request, "user", None)
    if request.path.startswith(reverse("admin:index")) and user and user.is_staff:
        context = {**admin.site.each_context(request), "title": "Accès refusé"}
        return render(request, "admin/403.html", context, status=403)
    return defaults.permission_denied(request, exception)
