from django.contrib import admin
from django.shortcuts import render
from django.urls import reverse
from django.views import csrf, defaults


def staff_in_admin(request):
    user = getattr(request, "user", None)
    return request.path.startswith(reverse("admin:index")) and bool(user and user.is_staff)


# Staff refused inside the admin stay in the admin's layout, with its way back; the public
# site (and whoever is not staff) keeps the public pages.
def admin_refusal(request, template, title):
    context = {**admin.site.each_context(request), "title": title}
    return render(request, template, context, status=403)


def permission_denied(request, exception):
    if staff_in_admin(request):
        return admin_refusal(request, "admin/403.html", "Accès refusé")
    return defaults.permission_denied(request, exception)


def csrf_failure(request, reason=""):
    if staff_in_admin(request):
        return admin_refusal(request, "admin/403_csrf.html", "Le formulaire a expiré")
    return csrf.csrf_failure(request, reason)
