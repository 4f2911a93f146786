"""The convention as a PDF: the only module that imports WeasyPrint."""

import json
import re
import threading
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pydyf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from communes.models import Academie, Collectivite, Commune
from conventions.fees import Fee
from conventions.models import Convention, ConventionTemplate, Signatory, Tariff
from conventions.template_html import body_problems, refusal

AUTHOR = "Région académique Occitanie"
STYLESHEET = settings.BASE_DIR / "templates" / "conventions" / "pdf" / "convention.css"
# Archival and accessible. PDF/A-3a holds with WeasyPrint 70 (tagged structure, embedded
# fonts, sRGB output intent) and, unlike PDF/A-2, allows the JSON attachment.
PDF_OPTIONS = {"pdf_variant": "pdf/a-3a", "pdf_tags": True}


class _DefaultLevelZlib:
    """zlib, at its default level whatever level the caller asks for.

    pydyf, which writes WeasyPrint's PDFs, compresses every stream at level 9 and has no
    option to change it. Level 6 (zlib's default) renders a convention about 16 ms (5 %)
    faster for a file 2 % larger (measured with bench/pdf.py's documents).
    """

    def compressobj(self, level=zlib.Z_DEFAULT_COMPRESSION, *args, **kwargs):
        return zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, *args, **kwargs)

    def compress(self, data, /, level=zlib.Z_DEFAULT_COMPRESSION, **kwargs):
        return zlib.compress(data, zlib.Z_DEFAULT_COMPRESSION, **kwargs)

    def __getattr__(self, name):
        return getattr(zlib, name)


pydyf.zlib = _DefaultLevelZlib()

# A variable the body does not know renders as this marker, which rendering then refuses:
# a typo in a template must never print a blank amount or year.
INVALID_MARKER = "\x00INCONNUE:%s\x00"
INVALID_RE = re.compile("\x00INCONNUE:([^\x00]*)\x00")

BODY_ENGINE = Engine(
    builtins=["conventions.templatetags.money", "conventions.templatetags.dates"],
    string_if_invalid=INVALID_MARKER,
    autoescape=True,
)

# French typography on text nodes: narrow no-break space before high punctuation and
# inside guillemets, so that "Article 7 :" never breaks before its colon.
TEXT_NODE_RE = re.compile(r">([^<]+)<")
HIGH_PUNCTUATION_RE = re.compile(r"[ \u00a0]([:;!?»])")
OPENING_GUILLEMET_RE = re.compile(r"«[ \u00a0]")


def french_typography(html):
    def fix(match):
        text = HIGH_PUNCTUATION_RE.sub("\u202f\\1", match.group(1))
        return ">" + OPENING_GUILLEMET_RE.sub("«\u202f", text) + "<"

    return TEXT_NODE_RE.sub(fix, html)


@lru_cache(maxsize=32)
def checked_body(text):
    """A template's text checked and compiled once per process, not once per document (a
    campaign prints the same text thousands of times): (problems, compiled or None)."""
    if problems := body_problems(text):
        return tuple(problems), None
    return (), BODY_ENGINE.from_string(text)


@dataclass(frozen=True)
class ConventionDocument:
    """Everything a convention prints, gathered once and checked to be complete."""

    convention: Convention
    template: ConventionTemplate
    academie: Academie
    collectivite: Collectivite
    commune: Commune
    school_year: str
    rate: Decimal
    school_count: int
    amount: Decimal
    school_labels: list[str]
    uais: list[str]
    signatory_name: str
    signatory_titles: list[str]
    end_date: date
    document_date: date
    reference: str
    extra: dict = field(default_factory=dict)

    @classmethod
    def for_draft(cls, convention):
        """From today's data; refuses with one French message naming everything missing."""
        missing = []
        year = convention.school_year
        where = f"l'année {year} et l'{convention.academie}"
        enrollments = list(
            convention.enrollments.filter(active=True)
            .select_related("school__commune__departement")
            .order_by("school__name", "school__uai")
        )
        if not enrollments:
            missing.append("aucune école inscrite")
        rate = (
            Tariff.objects.filter(school_year=year, academie=convention.academie_id)
            .values_list("rate", flat=True)
            .first()
        )
        if rate is None:
            missing.append(f"aucun tarif pour {where} (menu « Tarifs »)")
        signatory = Signatory.objects.filter(
            school_year=year, academie=convention.academie_id
        ).first()
        if signatory is None:
            missing.append(f"aucun signataire pour {where} (menu « Signataires »)")
        elif not signatory.titles:
            missing.append(f"la qualité du signataire {signatory.name} n'est pas renseignée")
        if year.end_date is None:
            missing.append(f"la date de fin des conventions de l'année {year} n'est pas fixée")
        if convention.document_date is None:
            missing.append("la date de la convention n'est pas renseignée")
        templates = ConventionTemplate.objects.for_convention(convention)
        if not templates:
            missing.append(f"aucun modèle de convention pour {where}")
        collectivite = convention.collectivite
        for attribute, label, filled in [
            ("siret", "SIRET", "renseigné"),
            ("address", "adresse", "renseignée"),
            ("representative_name", "nom du représentant", "renseigné"),
            ("representative_title", "qualité du représentant", "renseignée"),
        ]:
            if not str(getattr(collectivite, attribute) or "").strip():
                missing.append(f"{label} de la collectivité {collectivite.name} non {filled}")
        if missing:
            raise ValidationError(
                "Impossible de produire la convention %(reference)s : %(missing)s.",
                code="incomplete",
                params={"reference": convention.reference, "missing": " ; ".join(missing)},
            )
        fee = Fee(school_count=len(enrollments), rate=rate)
        return cls(
            convention=convention,
            template=templates[0],
            academie=convention.academie,
            collectivite=collectivite,
            commune=convention.commune,
            school_year=year.label,
            rate=fee.rate,
            school_count=fee.school_count,
            amount=fee.amount,
            school_labels=[e.school.convention_label() for e in enrollments],
            uais=[e.school.uai for e in enrollments],
            signatory_name=signatory.name,
            signatory_titles=signatory.titles,
            end_date=year.end_date,
            document_date=convention.document_date,
            reference=convention.reference,
        )

    @classmethod
    def sample(cls, template):
        """Example figures (Céret, 2026) to preview a template before any convention uses it."""
        academie = template.academie or Academie(code="11", name="Montpellier")
        academie.signing_city = academie.signing_city or academie.name
        labels = [
            "CERET - 66 - E.E.PU MARC CHAGALL - 0660560A",
            "CERET - 66 - E.M.PU PABLO PICASSO - 0660569K",
        ]
        fee = Fee(school_count=len(labels), rate=Decimal("41.00"))
        year = template.school_year
        return cls(
            convention=None,
            template=template,
            academie=academie,
            collectivite=Collectivite(
                kind="commune",
                name="COMMUNE DE CERET",
                siret="21660049400019",
                address="Place de la Résistance",
                postal_code="66400",
                city="CÉRET",
                representative_name="Michel Coste",
                representative_title="Maire",
            ),
            commune=Commune(insee_code="66049", name="Céret", postal_code="66400"),
            school_year=year.label,
            rate=fee.rate,
            school_count=fee.school_count,
            amount=fee.amount,
            school_labels=labels,
            uais=[label[-8:] for label in labels],
            signatory_name="Prénom NOM",
            signatory_titles=[f"Recteur de l'académie de {academie.name}"],
            end_date=year.end_date or date(year.end_year, 9, 1),
            document_date=date(year.start_year, 5, 21),
            reference=f"ENT-{year.label}-{academie.code}-66049-01",
        )

    def context(self):
        # Exactly the names of TEMPLATE_CONTRACT.md: the templates' wording relies on them.
        return {
            "academie": self.academie,
            "signatory_name": self.signatory_name,
            "signatory_titles": self.signatory_titles,
            "collectivite": self.collectivite,
            "commune": self.commune,
            "school_year": self.school_year,
            "rate": self.rate,
            "school_count": self.school_count,
            "amount": self.amount,
            "school_labels": self.school_labels,
            "end_date": self.end_date,
            "document_date": self.document_date,
            "signing_city": self.academie.signing_city,
            "reference": self.reference,
        }

    def figures(self):
        """The data embedded in the PDF, so that the file carries its own figures."""
        return {
            "reference": self.reference,
            "annee_scolaire": self.school_year,
            "academie": {"code": self.academie.code, "nom": self.academie.name},
            "collectivite": {
                "nom": self.collectivite.name,
                "siret": self.collectivite.siret,
                "adresse": self.collectivite.full_address(),
            },
            "commune": {"insee": self.commune.insee_code, "nom": self.commune.name},
            "ecoles": [
                {"uai": uai, "libelle": label}
                for uai, label in zip(self.uais, self.school_labels, strict=True)
            ],
            "nombre_ecoles": self.school_count,
            "tarif_par_ecole_ttc": str(self.rate),
            "montant_ttc": str(self.amount),
            "signataire": self.signatory_name,
            "date_convention": self.document_date.isoformat(),
            "date_fin": self.end_date.isoformat(),
        }

    def body_html(self):
        # A text saved before this check, or loaded from a fixture, never went through clean().
        problems, body = checked_body(self.template.body)
        if problems:
            raise ValidationError(
                "Le modèle « %(template)s » ne peut pas être imprimé. %(refusal)s",
                code="forbidden_html",
                params={"template": self.template.name, "refusal": refusal(problems)},
            )
        with translation.override("fr"):
            html = body.render(Context(self.context()))
        unknown = sorted(set(INVALID_RE.findall(html)))
        if unknown:
            raise ValidationError(
                "Le modèle « %(template)s » utilise des variables inconnues : %(names)s.",
                code="unknown_variable",
                params={"template": self.template.name, "names": ", ".join(unknown)},
            )
        return french_typography(html)

    def final_html(self, *, draft):
        with translation.override("fr"):
            return render_to_string(
                "conventions/pdf/convention.html",
                {**self.context(), "body": mark_safe(self.body_html()), "draft": draft},
            )

    def render(self, *, draft):
        return html_to_pdf(
            self.final_html(draft=draft),
            json.dumps(self.figures(), ensure_ascii=False, indent=1),
            self.document_date,
        )


@cache
def font_config():
    return FontConfiguration()


@cache
def stylesheet():
    # Parsed once per process: the stylesheet and the fonts it loads are shared by every
    # document rendered afterwards (the main lever on WeasyPrint's per-document time).
    return CSS(
        filename=str(STYLESHEET), font_config=font_config(), url_fetcher=LayoutFilesFetcher()
    )


LAYOUT_FILES = STYLESHEET.parent.resolve()


class LayoutFilesFetcher(URLFetcher):
    """Fetches the layout's own files (STYLESHEET's folder: CSS, fonts) and nothing else.

    WeasyPrint's default fetcher follows file://, paths relative to the base URL, http(s) and
    data: URLs, and a text's <a rel="attachment"> then embeds a server file (/etc/passwd,
    db.sqlite3) in the PDF. The layout needs none of these, so every other URL is refused,
    data: included: it carries no server file, but a text has no business embedding images,
    fonts or attachments either (README: no image). WeasyPrint skips a resource whose fetch
    raises, and logs it.
    """

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path)).resolve()
            if path.is_relative_to(LAYOUT_FILES):
                return super().fetch(url, headers)
        raise ValueError(f"Ressource refusée dans une convention : {url}")


_fetchers = threading.local()


def url_fetcher():
    # WeasyPrint builds a fetcher for every HTML and Attachment object it is not given one,
    # and each loads the system's CA certificates: about 25 ms, twice per document. One per
    # thread, since a fetcher keeps the request it is following a redirect for.
    if not hasattr(_fetchers, "fetcher"):
        _fetchers.fetcher = LayoutFilesFetcher()
    return _fetchers.fetcher


# A preview clicked twice, or a document rendered again with the same data, is not
# laid out twice.
@lru_cache(maxsize=16)
def html_to_pdf(html, figures_json, document_date):
    stamp = datetime.combine(document_date, time(12))
    attachment = Attachment(
        string=figures_json,
        name="convention.json",
        description="Données de la convention (collectivité, écoles, montant)",
        created=stamp,
        modified=stamp,
        relationship="Data",
        url_fetcher=url_fetcher(),
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=url_fetcher()).write_pdf(
        stylesheets=[stylesheet()],
        font_config=font_config(),
        attachments=[attachment],
        **PDF_OPTIONS,
    )


def preview(convention):
    """A draft's PDF with its "PROJET" watermark; refuses an incomplete convention."""
    return ConventionDocument.for_draft(convention).render(draft=True)
