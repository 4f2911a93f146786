from django.core.validators import RegexValidator
from django.db import models

from communes.enums import CollectiviteKind
from communes.validators import split_emails, validate_email_list, validate_siret


class AcademieManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Academie(models.Model):
    code = models.CharField("code", max_length=2, unique=True, help_text="code de l'annuaire")
    name = models.CharField("nom", max_length=100, help_text="« Toulouse », « Montpellier »")
    signing_city = models.CharField(
        "ville de signature", max_length=100, help_text="« A Toulouse, le … »"
    )

    objects = AcademieManager()

    class Meta:
        verbose_name = "académie"
        verbose_name_plural = "académies"
        ordering = ["name"]

    def __str__(self):
        return f"académie de {self.name}"

    def natural_key(self):
        return (self.code,)


class DepartementManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Departement(models.Model):
    code = models.CharField(
        "code", max_length=3, unique=True, help_text="3 caractères, comme l'annuaire : « 082 »"
    )
    name = models.CharField("nom", max_length=100)
    academie = models.ForeignKey(
        Academie, verbose_name="académie", on_delete=models.PROTECT, related_name="departements"
    )

    objects = DepartementManager()

    class Meta:
        verbose_name = "département"
        verbose_name_plural = "départements"
        ordering = ["code"]

    def __str__(self):
        return f"{self.short_code} – {self.name}"

    def natural_key(self):
        return (self.code,)

    @property
    def short_code(self):
        # Conventions print "12" for "012" and "2A" for "02A".
        return self.code[1:] if self.code.startswith("0") else self.code


class CommuneManager(models.Manager):
    def get_by_natural_key(self, insee_code):
        return self.get(insee_code=insee_code)


class Commune(models.Model):
    insee_code = models.CharField(
        "code INSEE",
        max_length=5,
        unique=True,
        validators=[
            RegexValidator(
                r"^(\d{5}|2[AB]\d{3})$",
                "Le code INSEE compte 5 caractères (« 66049 », « 2A004 »).",
            )
        ],
    )
    name = models.CharField("nom", max_length=100)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    departement = models.ForeignKey(
        Departement, verbose_name="département", on_delete=models.PROTECT, related_name="communes"
    )

    objects = CommuneManager()

    class Meta:
        verbose_name = "commune"
        verbose_name_plural = "communes"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.insee_code})"

    def natural_key(self):
        return (self.insee_code,)


class CollectiviteManager(models.Manager):
    def get_by_natural_key(self, siret):
        return self.get(siret=siret)


class Collectivite(models.Model):
    kind = models.CharField(
        "nature", max_length=10, choices=CollectiviteKind, default=CollectiviteKind.COMMUNE
    )
    name = models.CharField("nom officiel", max_length=200, help_text="« COMMUNE DE RODEZ »")
    siret = models.CharField("SIRET", max_length=14, unique=True, validators=[validate_siret])
    address = models.CharField("adresse", max_length=200)
    postal_code = models.CharField("code postal", max_length=5)
    city = models.CharField("ville", max_length=100)
    communes = models.ManyToManyField(
        Commune,
        verbose_name="communes couvertes",
        related_name="collectivites",
        help_text="la ou les communes pour lesquelles la collectivité signe",
    )
    representative_name = models.CharField(
        "représentant", max_length=150, help_text="tel qu'imprimé : « Michel COSTE »"
    )
    representative_title = models.CharField(
        "qualité du représentant",
        max_length=150,
        help_text="tel qu'imprimé : « MAIRE », « Président »",
    )
    emails = models.TextField(
        "adresses e-mail de contact",
        blank=True,
        validators=[validate_email_list],
        help_text="une ou plusieurs adresses, séparées par des virgules ou des retours à la ligne",
    )
    # Chorus Pro: a public debtor may require these on every titre de perception.
    chorus_service_code = models.CharField(
        "code service (Chorus Pro)",
        max_length=100,
        blank=True,
        help_text="si la collectivité l'exige sur ses factures",
    )
    chorus_engagement_number = models.CharField(
        "numéro d'engagement (Chorus Pro)",
        max_length=50,
        blank=True,
        help_text="bon de commande ou engagement juridique communiqué par la collectivité",
    )

    objects = CollectiviteManager()

    class Meta:
        verbose_name = "collectivité"
        verbose_name_plural = "collectivités"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.siret,)

    @property
    def siren(self):
        return self.siret[:9]

    def email_list(self):
        return split_emails(self.emails)

    def full_address(self):
        return f"{self.address}, {self.postal_code} {self.city}"
