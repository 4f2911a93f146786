"""What became of the link sent to the mairie, in the conventions' list and page: read
receipts (opened, PDF downloaded), reminders sent, and those to call by phone."""

from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from conventions.enums import ConventionStatus
from conventions.templatetags.dates import long_date, long_datetime

AWAITING = {ConventionStatus.EMISE, ConventionStatus.ENVOYEE}


def to_call(convention):
    # The row-level twin of ConventionQuerySet.to_call(), read from the list's annotation.
    return (
        convention.status in AWAITING
        and convention.link_sent_at is not None
        and convention.has_access_link
        and getattr(convention, "reminder_count", 0) >= len(settings.REMINDER_DELAYS_DAYS)
    )


def reminder_count_text(count):
    return f"{count} relance{'s' if count > 1 else ''}"


class ReadReceiptFilter(admin.SimpleListFilter):
    title = "lecture du lien"
    parameter_name = "lecture"

    def lookups(self, request, model_admin):
        return [
            ("jamais", "jamais ouverte"),
            ("ouverte", "ouverte, PDF non téléchargé"),
            ("pdf", "PDF téléchargé"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "jamais":
                return queryset.filter(link_sent_at__isnull=False, link_opened_at__isnull=True)
            case "ouverte":
                return queryset.filter(
                    link_opened_at__isnull=False, pdf_downloaded_at__isnull=True
                )
            case "pdf":
                return queryset.filter(pdf_downloaded_at__isnull=False)
        return queryset


class ReminderFilter(admin.SimpleListFilter):
    title = "relances"
    parameter_name = "relances"

    def lookups(self, request, model_admin):
        return [
            ("relancee", "relancée, en attente de signature"),
            ("telephone", "à relancer par téléphone"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "relancee":
                return queryset.awaiting_collectivite().filter(reminder_count__gte=1)
            case "telephone":
                return queryset.to_call()
        return queryset


class FollowUpMixin:
    """For ConventionAdmin: the reminder count is annotated on every row (no query per row)."""

    def get_queryset(self, request):
        return super().get_queryset(request).with_reminder_count()

    @admin.display(description="suivi du lien")
    def follow_up(self, obj):
        if obj.link_sent_at is None:
            return ""
        lines = [
            f"ouverte le {long_date(obj.link_opened_at)}"
            if obj.link_opened_at
            else "jamais ouverte"
        ]
        if obj.pdf_downloaded_at:
            lines.append(f"PDF téléchargé le {long_date(obj.pdf_downloaded_at)}")
        if count := getattr(obj, "reminder_count", 0):
            lines.append(reminder_count_text(count))
        html = format_html_join("", "<div>{}</div>", ((line,) for line in lines))
        if to_call(obj):
            html += format_html('<div class="entconv-flag">{}</div>', "à relancer par téléphone")
        return html

    @admin.display(description="lecture par la collectivité")
    def read_receipt(self, obj):
        if obj.link_opened_at is None:
            return "jamais ouverte"
        lines = [f"ouverte le {long_datetime(obj.link_opened_at)}"]
        lines.append(
            f"PDF téléchargé le {long_datetime(obj.pdf_downloaded_at)}"
            if obj.pdf_downloaded_at
            else "PDF jamais téléchargé"
        )
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines))

    @admin.display(description="relances")
    def reminders_display(self, obj):
        reminders = list(obj.reminders.select_related("email").order_by("sent_at"))
        if not reminders:
            return "aucune relance"
        html = format_html_join(
            "",
            "<div>Relance n° {} envoyée le {} à {}</div>",
            (
                (
                    reminder.rank,
                    long_datetime(reminder.sent_at),
                    ", ".join(reminder.email.recipients),
                )
                for reminder in reminders
            ),
        )
        if to_call(obj):
            html += format_html(
                '<div class="entconv-flag">{}</div>',
                "Dernière relance sans réponse : à relancer par téléphone.",
            )
        return html
