from django.apps import AppConfig


class ConventionsConfig(AppConfig):
    name = "conventions"
    verbose_name = "Conventions"

    def ready(self):
        from django.core import checks

        from conventions.checks import staff_notification_emails
        from conventions.portal_cache import connect_signals

        connect_signals()
        checks.register(staff_notification_emails, checks.Tags.security, deploy=True)
