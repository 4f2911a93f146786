from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "entconv-demo"


class Command(BaseCommand):
    help = (
        "Crée le compte de démonstration (développement uniquement) "
        "et affiche comment s'y connecter."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Le compte de démonstration n'est créé qu'en développement (DEBUG=1). "
                "En production : python manage.py createsuperuser."
            )
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        self.stdout.write(
            "\n"
            "  ENT-École — conventions est prêt.\n"
            f"  Administration : {settings.SITE_URL}/admin/\n"
            f"  Identifiant : {DEMO_USERNAME}    Mot de passe : {DEMO_PASSWORD}"
            + ("" if created else "  (compte existant : mot de passe inchangé)")
            + "\n"
        )
