from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from communes.models import Academie, Collectivite, Commune, Departement
from conventions.models import Convention, Enrollment, SchoolYear, Signatory, Tariff
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

    insee_code = factory.Sequence(lambda n: f"{31000 + n % 60000:05d}")
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


class ConventionFactory(DjangoModelFactory):
    class Meta:
        model = Convention
        skip_postgeneration_save = True

    commune = factory.SubFactory(CommuneFactory)
    collectivite = factory.SubFactory(CollectiviteFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    academie = factory.LazyAttribute(lambda o: o.commune.departement.academie)

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
