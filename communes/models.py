import re
import unicodedata

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from communes.enums import CollectiviteKind
from communes.history import AuditedHistory
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
    # Printed on every public page of a convention: whom the mairie asks.
    contact_address = models.TextField(
        "adresse du service ENT-École", blank=True, help_text="affichée aux mairies"
    )
    contact_email = models.EmailField("e-mail du service ENT-École", blank=True)
    contact_phone = models.CharField("téléphone du service ENT-École", max_length=30, blank=True)

    objects = AcademieManager()

    class Meta:
        verbose_name = "académie"
        verbose_name_plural = "académies"
        ordering = ["name"]

    def __str__(self):
        return f"académie de {self.name}"

    def natural_key(self):
        return (self.code,)

    @property
    def has_contact(self):
        return bool(self.contact_address or self.contact_email or self.contact_phone)


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


NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")


class CommuneQuerySet(models.QuerySet):
    def search(self, query):
        """Communes matching a name, an INSEE code or a postal code, accents and case aside."""
        query = (query or "").strip()
        if not query:
            return self.none()
        if query.isdigit() or re.fullmatch(r"2[ABab]\d{0,3}", query):
            code = query.upper()
            return self.filter(Q(insee_code__startswith=code) | Q(postal_code__startswith=code))
        key = Commune.normalize_name(query)
        if not key:
            return self.none()
        # A prefix search uses the index (varchar_pattern_ops on PostgreSQL); the region has
        # a few thousand communes, so the substring fallback stays cheap when it is needed.
        return self.filter(search_name__startswith=key)

    def search_anywhere(self, query):
        """As search(), but a name may also match in its middle ("jean" finds Saint-Jean)."""
        key = Commune.normalize_name(query)
        return self.filter(search_name__contains=key) if key else self.none()

    def fill_search_names(self):
        communes = list(self.only("pk", "name", "search_name"))
        for commune in communes:
            commune.search_name = Commune.normalize_name(commune.name)
        self.model.objects.bulk_update(communes, ["search_name"], batch_size=1000)
        return len(communes)


class CommuneManager(models.Manager.from_queryset(CommuneQuerySet)):
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
    postal_code = models.CharField("code postal", max_length=5, blank=True, db_index=True)
    departement = models.ForeignKey(
        Departement, verbose_name="département", on_delete=models.PROTECT, related_name="communes"
    )
    # The name without accents, case or punctuation ("ceret" finds Céret), so that the
    # search works alike on SQLite and PostgreSQL and uses a plain index. Whatever creates
    # or renames a commune fills it with Commune.normalize_name().
    search_name = models.CharField(
        "nom normalisé pour la recherche",
        max_length=100,
        blank=True,
        db_index=True,
        editable=False,
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

    @classmethod
    def normalize_name(cls, name):
        """ "Saint-Génis-des-Fontaines" -> "saint genis des fontaines"."""
        decomposed = unicodedata.normalize("NFKD", name or "")
        ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char))
        ascii_only = ascii_only.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
        return NON_ALNUM_RE.sub(" ", ascii_only.lower()).strip()

    def clean(self):
        self.search_name = self.normalize_name(self.name)


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
    history = AuditedHistory(m2m_fields=["communes"])

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


class AgentScope(models.Model):
    """Which académie a staff member works for. No row: a staff member sees nothing of
    the conventions and their parties (superusers see everything); see communes/scope.py."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="agent",
        on_delete=models.CASCADE,
        related_name="agent_scope",
    )
    academie = models.ForeignKey(
        Academie,
        verbose_name="académie",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="vide : toute la région académique (les deux académies)",
    )

    class Meta:
        verbose_name = "périmètre de l'agent"
        verbose_name_plural = "périmètres des agents"

    def __str__(self):
        return str(self.academie) if self.academie_id else "région académique"


# The journal's model lives beside its writing and checking code.
from communes.journal import JournalEntry  # noqa: E402, F401
