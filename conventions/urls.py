from django.urls import path, register_converter

from conventions import confirmation_views, error_report_views, legal_views, views


class TokenConverter:
    # secrets.token_urlsafe(32): 43 URL-safe characters. Anything else is a plain 404.
    regex = r"[A-Za-z0-9_-]{43}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "token")

app_name = "conventions"
urlpatterns = [
    path("", views.home, name="home"),
    path("simulateur/", views.simulator, name="simulator"),
    path("accessibilite/", legal_views.accessibility, name="accessibility"),
    path("mentions-legales/", legal_views.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", legal_views.personal_data, name="personal_data"),
    path("signaler-une-erreur/", error_report_views.report, name="report_error"),
    path(
        "convention/<token:token>/signaler-une-erreur/",
        error_report_views.report_for_convention,
        name="report_convention_error",
    ),
    path("convention/<token:token>/", views.portal, name="portal"),
    path("convention/<token:token>/convention.pdf", views.portal_pdf, name="portal_pdf"),
    path("convention/<token:token>/confirmation/", confirmation_views.confirm, name="confirm"),
    path(
        "convention/<token:token>/confirmation/montant/",
        confirmation_views.amount,
        name="confirm_amount",
    ),
    path(
        "convention/<token:token>/confirmation/ecole-manquante/",
        confirmation_views.report_missing_school,
        name="report_missing_school",
    ),
    path(
        "convention/<token:token>/convention-signee.pdf",
        views.portal_signed_pdf,
        name="portal_signed_pdf",
    ),
]
