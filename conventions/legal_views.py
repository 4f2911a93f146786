"""The footer's mandatory pages: accessibility statement, legal notice, personal data."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET


def legal_context():
    return {
        "contact_email": settings.PORTAL_CONTACT_EMAIL,
        "publication_director": settings.LEGAL_PUBLICATION_DIRECTOR,
        "host": settings.LEGAL_HOST,
        "dpo_email": settings.DPO_EMAIL,
    }


@require_GET
def accessibility(request):
    return render(request, "conventions/legal/accessibility.html", legal_context())


@require_GET
def legal_notice(request):
    return render(request, "conventions/legal/legal_notice.html", legal_context())


@require_GET
def personal_data(request):
    return render(request, "conventions/legal/personal_data.html", legal_context())
