"""Logins, failures and lock-outs of the admin, reported through one function: into the
append-only journal (communes/journal.py) and the `entconv.security` logger."""

import logging

from communes import journal

logger = logging.getLogger("entconv.security")

# What each kind of event means, in the words an auditor reads.
KINDS = {
    "password_failed": "mot de passe refusé",
    "password_accepted": "mot de passe accepté, code à saisir",
    "second_factor_failed": "code de double authentification refusé",
    "locked_out": "connexion bloquée après trop d'échecs",
    "logged_in": "connexion",
    "enrolled": "double authentification activée",
    "backup_code_used": "code de secours utilisé",
    "second_factor_reset": "double authentification réinitialisée",
}


def record_login_event(kind, user, ip):
    """`user` is a User, or the user name typed when no account matched."""
    if kind not in KINDS:
        raise ValueError(f"Unknown login event: {kind}")
    username = user if isinstance(user, str) else user.get_username()
    logger.info("%s: %s (utilisateur %r, adresse %s)", kind, KINDS[kind], username, ip)
    journal.record(
        journal.JournalEvent.STAFF_LOGIN,
        actor=f"{username[:150]} (saisi)" if isinstance(user, str) else user,
        kind=kind,
        label=KINDS[kind],
        username=username[:150],
        ip=ip,
    )
