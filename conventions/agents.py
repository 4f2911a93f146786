"""Staff accounts as the rectorat hands them out: a role (a group) and a scope (an académie,
or the whole region), and a one-time link to choose a password. Used by `add_agent` and by
the users' page of the admin ("Ajouter un agent")."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from communes.models import Academie, AgentScope
from communes.scope import REGION

# Role -> (group, what the role does). The groups are created by migrations (0006, 0007,
# 0009_administration_group).
ROLES = {
    "gestion": ("Gestion des conventions", "collectivités, écoles, conventions"),
    "comptabilite": ("Comptabilité", "titres de perception, conventions en lecture"),
    "administration": (
        "Administration",
        "tous les droits sur les conventions, leurs parties et les titres",
    ),
}
ROLE_CHOICES = [(role, group) for role, (group, _) in ROLES.items()]
ACADEMIE_CHOICES = [
    ("16", "académie de Toulouse"),
    ("11", "académie de Montpellier"),
    (REGION, "région académique (les deux académies)"),
]


@dataclass
class Agent:
    user: object
    created: bool
    password_link: str


def clean_agent(email, role, academie):
    """The checked values, or a ValidationError naming every wrong one (nothing written)."""
    errors = []
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors.append(f"adresse e-mail invalide : « {email} ».")
    if role not in ROLES:
        errors.append(f"rôle inconnu : « {role} » (attendu : {', '.join(ROLES)}).")
    scope = None
    if academie != REGION:
        scope = Academie.objects.filter(code=academie).first()
        if scope is None:
            errors.append(
                f"académie inconnue : « {academie} » (attendu : 16 pour Toulouse, "
                f"11 pour Montpellier, ou {REGION} pour les deux)."
            )
    if role in ROLES and not Group.objects.filter(name=ROLES[role][0]).exists():
        errors.append(
            f"le groupe « {ROLES[role][0]} » n'existe pas : lancez d'abord "
            "python manage.py migrate."
        )
    if errors:
        raise ValidationError(errors)
    return email, role, scope


def password_link(user):
    """A link to choose a password, valid once (the token depends on the password) and for
    PASSWORD_RESET_TIMEOUT seconds."""
    path = reverse(
        "agent_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def add_agent(email, role, academie, name=""):
    """Creates or updates the staff account `email` with that role and scope."""
    email, role, scope = clean_agent(email, role, academie)
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(username__iexact=email).first()
        created = user is None
        if created:
            user = User(username=email)
            user.set_unusable_password()
        user.email = email
        user.is_staff = True
        if name.strip():
            first, _, last = name.strip().partition(" ")
            user.first_name, user.last_name = first, last
        user.save()
        # One role at a time: the others' groups are taken away.
        user.groups.remove(*Group.objects.filter(name__in=[g for g, _ in ROLES.values()]))
        user.groups.add(Group.objects.get(name=ROLES[role][0]))
        AgentScope.objects.update_or_create(user=user, defaults={"academie": scope})
    return Agent(user=user, created=created, password_link=password_link(user))
