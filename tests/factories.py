import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from communes.models import Academie, Collectivite, Commune, Departement
from conventions.models import (
    Convention,
    ConventionTemplate,
    Enrollment,
    SchoolYear,
    Signatory,
    Tariff,
)
from schools.models import School
from schools.validators import uai_check_letter


def valid_siret(n):
    from stdnum import luhn

    body = f"2{n:012d}"[:13]
    return body + luhn.calc_check_digit(body)


def valid_uai(n):
    digits = f"{n:07d}"
    return digits + uai_check_letter(digits)


class AcademieFactory(DjangoModelFactory):
    class Meta:
        model = Academie
        django_get_or_create = ["code"]

    code = "16"
    name = "Toulouse"
    signing_city = "Toulouse"


class DepartementFactory(DjangoModelFactory):
    class Meta:
        model = Departement
        django_get_or_create = ["code"]

    code = "031"
    name = "Haute-Garonne"
    academie = factory.SubFactory(AcademieFactory)


class CommuneFactory(DjangoModelFactory):
    class Meta:
        model = Commune

    # 99xxx is INSEE's range for foreign countries: it never meets a seed or annuaire commune.
    insee_code = factory.Sequence(lambda n: f"{99000 + n % 1000:05d}")
    name = factory.Faker("city", locale="fr_FR")
    postal_code = "31000"
    departement = factory.SubFactory(DepartementFactory)
    search_name = factory.LazyAttribute(lambda o: Commune.normalize_name(o.name))


class CollectiviteFactory(DjangoModelFactory):
    class Meta:
        model = Collectivite
        skip_postgeneration_save = True

    name = factory.LazyAttribute(lambda o: f"COMMUNE DE {o.city.upper()}")
    siret = factory.Sequence(valid_siret)
    address = factory.Faker("street_address", locale="fr_FR")
    postal_code = "31000"
    city = factory.Faker("city", locale="fr_FR")
    representative_name = factory.Faker("name", locale="fr_FR")
    representative_title = "MAIRE"
    emails = factory.Faker("email", locale="fr_FR")

    @factory.post_generation
    def communes(self, create, extracted, **kwargs):
        if create and extracted:
            self.communes.set(extracted)


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School

    uai = factory.Sequence(lambda n: valid_uai(3100000 + n))
    name = factory.Sequence(lambda n: f"Ecole primaire publique Numéro {n}")
    kind = "primaire"
    sector = "public"
    commune = factory.SubFactory(CommuneFactory)


class SchoolYearFactory(DjangoModelFactory):
    class Meta:
        model = SchoolYear
        django_get_or_create = ["label"]

    label = "2026-2027"
    end_date = datetime.date(2027, 9, 5)


class TariffFactory(DjangoModelFactory):
    class Meta:
        model = Tariff
        django_get_or_create = ["school_year", "academie"]

    school_year = factory.SubFactory(SchoolYearFactory)
    academie = factory.SubFactory(AcademieFactory)
    rate = Decimal("41.00")


class SignatoryFactory(DjangoModelFactory):
    class Meta:
        model = Signatory
        django_get_or_create = ["school_year", "academie"]

    school_year = factory.SubFactory(SchoolYearFactory)
    academie = factory.SubFactory(AcademieFactory)
    name = "Carole Drucker-Godard"
    title_lines = "Rectrice de la région académique Occitanie\nRectrice de l'académie de Toulouse"


# A short body using every variable of TEMPLATE_CONTRACT.md; the real wording is in
# fixtures/convention_templates.json.
TEMPLATE_BODY = """
<p>le {{ document_date|date:"j F Y" }}</p>
<h1>Convention ENT-École {{ school_year }}</h1>
<section class="parties">
<div class="party"><p>L'académie de {{ academie.name }}, représentée par {{ signatory_name }},
{% for title in signatory_titles %}{{ title }}{% if not forloop.last %}, {% endif %}
{% endfor %}</p></div>
<div class="party"><p>{{ collectivite.name }}, SIRET {{ collectivite.siret }},
{{ collectivite.address }} {{ collectivite.postal_code }} {{ collectivite.city }},
représentée par {{ collectivite.representative_name }}, {{ collectivite.representative_title }},
pour la commune de {{ commune.name }}</p></div>
</section>
<h2>Article 1 : écoles</h2>
<p>La collectivité a inscrit {{ school_count }} école(s) pour cette année scolaire, pour un
montant correspondant à {{ school_count }} x {{ rate|euros_short }} soit {{ amount|euros_short }}
({{ amount|euros_in_words }}).</p>
<ol class="schools">{% for label in school_labels %}<li>{{ label }}</li>{% endfor %}</ol>
<p>La convention prend fin le {{ end_date|date:"j F Y" }}.</p>
<p>A {{ signing_city }}, le {{ document_date|date:"d/m/Y" }}</p>
<div class="signatures"><div class="signature"><p>{{ signatory_name }}</p></div>
<div class="signature"><p>{{ collectivite.representative_name }}</p></div></div>
"""


class ConventionTemplateFactory(DjangoModelFactory):
    class Meta:
        model = ConventionTemplate
        django_get_or_create = ["school_year", "academie"]

    school_year = factory.SubFactory(SchoolYearFactory)
    academie = None
    name = "Modèle de test"
    body = TEMPLATE_BODY


class ConventionFactory(DjangoModelFactory):
    class Meta:
        model = Convention
        skip_postgeneration_save = True

    commune = factory.SubFactory(CommuneFactory)
    collectivite = factory.SubFactory(CollectiviteFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    academie = factory.LazyAttribute(lambda o: o.commune.departement.academie)
    document_date = datetime.date(2026, 5, 21)

    @factory.post_generation
    def link_commune(self, create, extracted, **kwargs):
        if create and self.collectivite.pk:
            self.collectivite.communes.add(self.commune)


class EnrollmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrollment

    convention = factory.SubFactory(ConventionFactory)
    school = factory.SubFactory(
        SchoolFactory, commune=factory.LazyAttribute(lambda o: o.factory_parent.convention.commune)
    )
    school_year = factory.LazyAttribute(lambda o: o.convention.school_year)


def enroll(convention, count=1, **school_kwargs):
    schools = SchoolFactory.create_batch(count, commune=convention.commune, **school_kwargs)
    for school in schools:
        Enrollment.objects.create(
            convention=convention, school=school, school_year=convention.school_year
        )
    return schools


def complete_convention(school_count=2, rate=Decimal("41.00"), **kwargs):
    """A draft with everything a document needs: tariff, signatory, template, schools."""
    convention = ConventionFactory(**kwargs)
    TariffFactory(school_year=convention.school_year, academie=convention.academie, rate=rate)
    SignatoryFactory(school_year=convention.school_year, academie=convention.academie)
    ConventionTemplateFactory(school_year=convention.school_year)
    enroll(convention, school_count)
    return convention
