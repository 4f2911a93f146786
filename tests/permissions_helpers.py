"""Each role's browser-like client for the permission matrix: logged in, CSRF enforced."""

import re
from datetime import date

from django.core.management import call_command
from django.test import Client

from conventions import billing
from conventions.models import Convention
from tests.portal_helpers import mark_issued
from tests.roles import make_user
from tests.titres_helpers import sign

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def role_client(role):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(role))
    return client


def csrf_token(client, page_url):
    """The token of a form on `page_url`, or of the admin's index when the role may not
    open that page (a refused POST must be refused for its permission, not its token)."""
    for url in (page_url, "/admin/"):
        response = client.get(url)
        if match := CSRF_RE.search(response.text):
            return match.group(1)
    raise AssertionError(f"no form with a CSRF token on {page_url}")


def post_with_token(client, page_url, url, data):
    return client.post(url, {**data, "csrfmiddlewaretoken": csrf_token(client, page_url)})


def ceret():
    return Convention.objects.get(commune__insee_code="66049", school_year__label="2026-2027")


def rodez():
    return Convention.objects.get(commune__insee_code="12202")


def issued_ceret():
    return mark_issued(ceret())


def issued_ceret_with_link():
    convention = issued_ceret()
    convention.new_access_link()
    return convention


def signed_rodez():
    return sign(rodez())


def prepared_titre():
    return billing.prepare_titre(signed_rodez())


def issued_titre():
    return billing.issue_titre(signed_rodez(), on=date(2026, 11, 23))


def with_templates():
    call_command("loaddata", "convention_templates", verbosity=0)
