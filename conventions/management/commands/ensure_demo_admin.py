from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from communes.models import AgentScope

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "entconv-demo"
# One account per role, so that a demo shows what each person sees: (username, group or
# None for the superuser, what the role does).
DEMO_ACCOUNTS = [
    (DEMO_USERNAME, None, "superutilisateur : tous les droits"),
    (
        "gestionnaire",
        "Gestion des conventions",
        "groupe « Gestion des conventions » : collectivités, écoles, conventions",
    ),
    (
        "comptable",
        "Comptabilité",
        "groupe « Comptabilité » : titres de perception, conventions en lecture",
    ),
]


class Command(BaseCommand):
    help = (
        "Crée les comptes de démonstration, un par rôle (développement uniquement), "
        "et affiche comment s'y connecter."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Les comptes de démonstration ne sont créés qu'en développement (DEBUG=1). "
                "En production : python manage.py createsuperuser."
            )
        lines = [
            "",
            "  ENT-École — conventions est prêt.",
            f"  Administration : {settings.SITE_URL}/admin/",
            f"  {'Identifiant':<14}{'Mot de passe':<15}Rôle",
        ]
        kept = []
        for username, group_name, role in DEMO_ACCOUNTS:
            if not self.ensure_account(username, group_name):
                kept.append(username)
            lines.append(f"  {username:<14}{DEMO_PASSWORD:<15}{role}")
        if settings.OTP_REQUIRED:
            lines.append(
                "  Double authentification obligatoire (OTP_REQUIRED=1) : chaque compte "
                "l'active à sa première connexion."
            )
        else:
            lines.append(
                "  Double authentification facultative (OTP_REQUIRED=0) : le mot de passe suffit."
            )
        if len(kept) == 1:
            lines.append(f"  Compte déjà existant, mot de passe inchangé : {kept[0]}")
        elif kept:
            lines.append(f"  Comptes déjà existants, mots de passe inchangés : {', '.join(kept)}")
        self.stdout.write("\n".join(lines) + "\n")

    def ensure_account(self, username, group_name):
        group = None
        if group_name is not None:
            try:
                group = Group.objects.get(name=group_name)
            except Group.DoesNotExist:
                raise CommandError(
                    f"Le groupe « {group_name} » n'existe pas : lancez d'abord "
                    "python manage.py migrate."
                ) from None
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"is_staff": True, "is_superuser": group is None},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if group is not None:
            user.groups.add(group)
            # Demo agents work for both académies (add_agent narrows a real one).
            AgentScope.objects.get_or_create(user=user)
        return created
