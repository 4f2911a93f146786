from django.db import models


class CollectiviteKind(models.TextChoices):
    COMMUNE = "commune", "commune"
    COMMUNAUTE_COMMUNES = "cc", "communauté de communes"
    COMMUNAUTE_AGGLOMERATION = "ca", "communauté d'agglomération"
    SYNDICAT = "syndicat", "syndicat intercommunal"
    OTHER = "autre", "autre"
