import re

import pytest
from django.contrib import admin
from django.core.paginator import Paginator
from django.urls import reverse

from conventions.models import Convention
from schools.models import School
from tests.factories import (
    CommuneFactory,
    ConventionFactory,
    SchoolFactory,
    SchoolYearFactory,
)

pytestmark = pytest.mark.django_db

NAMES = ["Rodez", "Albi", "Céret", "Muret", "Auch", "Tarbes", "Foix"]


def listed(client, url, **params):
    content = client.get(url, params).content.decode()
    return [int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', content)]


def every_page(client, url, **params):
    rows, page = [], 1
    while page_rows := listed(client, url, p=page, **params) if page < 10 else []:
        rows += page_rows
        page += 1
    return rows


@pytest.fixture
def three_per_page(monkeypatch):
    for model in (Convention, School):
        monkeypatch.setattr(admin.site._registry[model], "list_per_page", 3)


def test_conventions_are_paged_in_the_list_order(admin_client, three_per_page, monkeypatch):
    years = [SchoolYearFactory(label="2025-2026"), SchoolYearFactory(label="2026-2027")]
    for i, name in enumerate(NAMES):
        ConventionFactory(commune=CommuneFactory(name=name), school_year=years[i % 2])
    url = reverse("admin:conventions_convention_changelist")
    expected = list(Convention.objects.order_by("-school_year__label", "commune__name", "-pk"))
    assert every_page(admin_client, url) == [c.pk for c in expected]
    # Sorted by other columns, searched: the same pages as with Django's own paginator.
    variants = [{"o": "3.1"}, {"o": "-2.5"}, {"o": "6"}, {"q": "r"}, {"q": "r", "o": "-1"}]
    ours = [every_page(admin_client, url, **params) for params in variants]
    assert all(ours)
    monkeypatch.setattr(admin.site._registry[Convention], "paginator", Paginator)
    assert ours == [every_page(admin_client, url, **params) for params in variants]


def test_schools_are_paged_in_the_list_order(admin_client, three_per_page):
    for name in NAMES:
        SchoolFactory(commune=CommuneFactory(name=name))
    url = reverse("admin:schools_school_changelist")
    expected = [s.pk for s in School.objects.order_by("commune__name", "name", "-pk")]
    assert every_page(admin_client, url) == expected
