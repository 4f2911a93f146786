from django.db import models


class ConventionStatus(models.TextChoices):
    BROUILLON = "brouillon", "brouillon"
    EMISE = "emise", "émise"
    ENVOYEE = "envoyee", "envoyée"
    SIGNEE_COLLECTIVITE = "signee_collectivite", "signée par la collectivité"
    SIGNEE_ACADEMIE = "signee_academie", "signée par l'académie"
    FACTUREE = "facturee", "facturée"
    ANNULEE = "annulee", "annulée"


S = ConventionStatus

# The only place where the life of a convention is written down. A signed copy may come
# back before staff record the e-mail, hence émise → signée par la collectivité.
TRANSITIONS = {
    S.BROUILLON: {S.EMISE, S.ANNULEE},
    S.EMISE: {S.ENVOYEE, S.SIGNEE_COLLECTIVITE, S.ANNULEE},
    S.ENVOYEE: {S.SIGNEE_COLLECTIVITE, S.ANNULEE},
    S.SIGNEE_COLLECTIVITE: {S.SIGNEE_ACADEMIE, S.ANNULEE},
    S.SIGNEE_ACADEMIE: {S.FACTUREE, S.ANNULEE},
    S.FACTUREE: {S.ANNULEE},
    S.ANNULEE: set(),
}

# The date field each status stamps when it is reached.
STATUS_DATE_FIELDS = {
    S.EMISE: "issued_at",
    S.ENVOYEE: "sent_at",
    S.SIGNEE_COLLECTIVITE: "signed_by_collectivite_at",
    S.SIGNEE_ACADEMIE: "signed_by_academie_at",
    S.FACTUREE: "invoiced_at",
    S.ANNULEE: "cancelled_at",
}


class TitreStatus(models.TextChoices):
    A_EMETTRE = "a_emettre", "à émettre"
    EMIS = "emis", "émis"
    PARTIEL = "partiel", "partiellement payé"
    PAYE = "paye", "payé"
    ANNULE = "annule", "annulé"
