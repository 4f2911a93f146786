from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import number_format
from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from conventions.validators import ACTES_EXAMPLE, validate_act_identifier

SIGNED_COPY_MAX_BYTES = 10 * 1024 * 1024


def check_pdf(upload):
    """Refuse anything that is not a readable PDF, whatever its name or declared type."""
    if upload.size > SIGNED_COPY_MAX_BYTES:
        raise ValidationError(
            "Le fichier « %(name)s » pèse %(size)s : la limite est de 10 Mo.",
            code="too_big",
            params={
                "name": upload.name,
                "size": number_format(upload.size / (1024 * 1024), decimal_pos=1) + " Mo",
            },
        )
    upload.seek(0)
    if upload.read(5) != b"%PDF-":
        raise ValidationError(
            "Le fichier « %(name)s » n'est pas un PDF (son contenu ne commence pas comme un "
            "PDF, quel que soit son nom). Numérisez la convention signée au format PDF.",
            code="not_pdf",
            params={"name": upload.name},
        )
    upload.seek(0)
    encrypted, pages = False, 0
    try:
        reader = PdfReader(upload)
        # Before anything else: pages of an encrypted file are not what staff could read,
        # and an empty user password would otherwise let one through.
        encrypted = reader.is_encrypted
        if not encrypted:
            pages = len(reader.pages)
    except DependencyError:
        # Raised while pypdf tries the empty password on an AES-encrypted file.
        encrypted = True
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        # pypdf reports a damaged file through several exception types.
        pass
    upload.seek(0)
    if encrypted:
        raise ValidationError(
            "Le fichier « %(name)s » est un PDF chiffré (protégé par mot de passe) : "
            "enregistrez-le sans protection ni mot de passe puis redéposez-le.",
            code="encrypted_pdf",
            params={"name": upload.name},
        )
    if pages < 1:
        raise ValidationError(
            "Le fichier « %(name)s » est un PDF endommagé ou illisible : enregistrez-le de "
            "nouveau puis redéposez-le.",
            code="bad_pdf",
            params={"name": upload.name},
        )


class SignedCopyForm(forms.Form):
    signed_pdf = forms.FileField(
        label="Convention signée (PDF, 10 Mo au plus)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    act_date = forms.DateField(
        label="Date de l'acte (délibération) qui approuve la convention",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    act_identifier = forms.CharField(
        label="Identifiant @ctes de l'acte",
        max_length=60,
        help_text=f"Format DÉPARTEMENT-SIREN-AAAAMMJJ-NUMÉRO-NATURE, ex. « {ACTES_EXAMPLE} »",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, convention, **kwargs):
        self.convention = convention
        super().__init__(*args, **kwargs)

    def clean_signed_pdf(self):
        upload = self.cleaned_data["signed_pdf"]
        check_pdf(upload)
        return upload

    def clean_act_date(self):
        act_date = self.cleaned_data["act_date"]
        today = timezone.localdate()
        if act_date > today:
            raise ValidationError(
                "La date de l'acte (%(date)s) est dans le futur : indiquez la date de la "
                "délibération déjà prise.",
                code="act_in_future",
                params={"date": act_date.strftime("%d/%m/%Y")},
            )
        issued_on = self.convention.issued_at and timezone.localdate(self.convention.issued_at)
        if issued_on and act_date < issued_on:
            raise ValidationError(
                "La date de l'acte (%(date)s) précède l'émission de la convention "
                "(%(issued)s) : l'acte qui l'approuve ne peut pas être plus ancien.",
                code="act_before_issue",
                params={
                    "date": act_date.strftime("%d/%m/%Y"),
                    "issued": issued_on.strftime("%d/%m/%Y"),
                },
            )
        return act_date

    def clean(self):
        cleaned = super().clean()
        if "act_identifier" in cleaned:
            try:
                cleaned["act_identifier"] = validate_act_identifier(
                    cleaned["act_identifier"],
                    siren=self.convention.collectivite.siren,
                    departement=self.convention.commune.departement.code,
                    act_date=cleaned.get("act_date"),
                )
            except ValidationError as error:
                self.add_error("act_identifier", error)
        return cleaned


class SimulatorForm(forms.Form):
    school_year = forms.ChoiceField(label="Année scolaire")
    q = forms.CharField(
        label="Commune : nom, code INSEE ou code postal",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    prive = forms.BooleanField(
        label="Compter aussi les écoles privées de la commune",
        help_text="Une convention inscrit les écoles publiques ; une école privée seulement "
        "si la collectivité le décide.",
        required=False,
    )

    def __init__(self, *args, school_years, **kwargs):
        # The years are read once by the view: a ModelChoiceField would query them again to
        # validate and again to render.
        super().__init__(*args, **kwargs)
        self.school_years = {year.label: year for year in school_years}
        self.fields["school_year"].choices = [(label, label) for label in self.school_years]

    def clean_school_year(self):
        return self.school_years[self.cleaned_data["school_year"]]
