from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from conventions.agents import ACADEMIE_CHOICES, ROLES, add_agent


class Command(BaseCommand):
    help = (
        "Crée ou met à jour le compte d'un agent (rôle et académie) et affiche un lien, "
        "valable une fois, pour choisir son mot de passe."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="adresse e-mail de l'agent (aussi son identifiant)")
        parser.add_argument("--role", required=True, help=f"{' | '.join(ROLES)}")
        parser.add_argument(
            "--academie",
            required=True,
            help=" | ".join(f"{code} ({label})" for code, label in ACADEMIE_CHOICES),
        )
        parser.add_argument("--name", default="", help="« Prénom NOM »")

    def handle(self, *args, email, role, academie, name, **options):
        try:
            agent = add_agent(email, role, academie, name)
        except ValidationError as error:
            raise CommandError(
                "Agent non enregistré : " + " ; ".join(error.messages) + " Rien n'a été modifié."
            ) from None
        user = agent.user
        scope = user.agent_scope
        self.stdout.write(
            f"Agent {'créé' if agent.created else 'mis à jour'} : {user.username} — "
            f"{ROLES[role][0]}, {scope}.\n"
            "Lien pour choisir le mot de passe (valable une fois) :\n"
            f"{agent.password_link}\n"
        )
