"""Rendered public pages kept in Django's cache, so that a repeated request costs one lookup.

Two kinds of page, two rules:

- A convention's private page is keyed on a digest of everything it shows: the convention's
  row (status, dates, frozen figures and labels, signed copy…), the names of its related
  rows and whether a replacement was opened, all read by the one query the view makes
  anyway. A change to any of them gives a new
  key: the page can never be stale. A draft's confirmation page follows the same rule
  (conventions/confirmation_views.py). The cached HTML holds neither the token (the PDF link is
  relative) nor a CSRF token (a placeholder, replaced at each request).
- The fee simulator reads reference data (communes, schools, rates) that changes a few times a
  year. Its pages are keyed on the query, on the school year under way (it picks the rates
  shown) and on a data version that every save or delete of that data, and every import of
  the Annuaire, replaces. With a per-process cache (the default
  local memory) another worker may show the previous figures for at most
  PORTAL_CACHE_SECONDS; a shared cache (CACHE_URL) makes the change visible everywhere at once.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from conventions.models.reference import current_school_year_label

DATA_VERSION_KEY = "portal:reference-data-version"


def digest(*parts):
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def convention_state(convention):
    """Everything the private page shows of a convention, as one comparable value."""
    row = tuple(getattr(convention, field.attname) for field in convention._meta.concrete_fields)
    related = (
        str(convention.collectivite),
        convention.commune.name,
        convention.commune.insee_code,
        str(convention.school_year),
        str(convention.academie),
        convention.academie.contact_address,
        convention.academie.contact_email,
        convention.academie.contact_phone,
        # Opening a replacement changes the cancelled page, not the cancelled row.
        getattr(convention, "has_replacement", None),
    )
    return row, related


def render_convention_page(request, template_name, convention, context_factory, variant=()):
    """The page of an issued convention, rendered once per state of the convention.

    The context that `context_factory()` returns must follow from the convention's state;
    `variant` holds whatever else the page depends on (a flag from the query string).
    """
    return render_page_of_state(
        request,
        template_name,
        (convention_state(convention), variant),
        lambda: {**context_factory(), "convention": convention},
        kind="convention",
    )


def render_page_of_state(request, template_name, state, context_factory, *, kind):
    """A page rendered once per `state`: the state must hold everything the page shows, so
    that any change gives a new key and the page is never stale."""
    key = f"portal:{kind}:" + digest(template_name, state)
    cached = cache.get(key)
    if cached is None:
        # A placeholder stands for the CSRF token, which differs from one visitor to another.
        placeholder = secrets.token_hex(16)
        html = render_to_string(
            template_name, {**context_factory(), "csrf_token": placeholder}, request
        )
        cached = (placeholder, html)
        cache.set(key, cached, settings.PORTAL_CACHE_SECONDS)
    placeholder, html = cached
    if placeholder in html:
        html = html.replace(placeholder, get_token(request))
    return HttpResponse(html)


def data_version():
    version = cache.get(DATA_VERSION_KEY)
    if version is None:
        version = secrets.token_hex(8)
        # add(): two workers starting at once agree on the first one stored.
        if not cache.add(DATA_VERSION_KEY, version, None):
            version = cache.get(DATA_VERSION_KEY, version)
    return version


def reference_data_changed(**kwargs):
    cache.set(DATA_VERSION_KEY, secrets.token_hex(8), None)


def render_public_page(request, template_name, context_factory):
    """A public GET page whose content depends only on its query, the reference data and
    the school year under way."""
    # The school year under way picks the rates shown: a new one turns the page over.
    key = "portal:public:" + digest(
        template_name,
        request.path,
        sorted(request.GET.lists()),
        data_version(),
        current_school_year_label(),
    )
    html = cache.get(key)
    if html is None:
        html = render_to_string(template_name, context_factory(), request)
        cache.set(key, html, settings.PORTAL_CACHE_SECONDS)
    return HttpResponse(html)


def connect_signals():
    from django.apps import apps

    from schools.annuaire import annuaire_imported

    for label in (
        "communes.Academie",
        "communes.Departement",
        "communes.Commune",
        "schools.School",
        "conventions.SchoolYear",
        "conventions.Tariff",
    ):
        model = apps.get_model(label)
        for signal in (post_save, post_delete):
            signal.connect(reference_data_changed, sender=model, dispatch_uid=f"portal:{label}")
    annuaire_imported.connect(reference_data_changed, dispatch_uid="portal-annuaire")
