"""French agreement in number: the plural starts at 2 ("0 école", "1 école", "2 écoles"),
where Django's `pluralize` gives "0 écoles"."""


def pluralize(count, suffix="s"):
    return suffix if abs(count) >= 2 else ""


def counted(count, singular, plural=None):
    """counted(3, "école") -> "3 écoles"; counted(0, "mise à jour", "mises à jour")."""
    word = singular if abs(count) < 2 else (plural or f"{singular}s")
    return f"{count} {word}"


def missing_columns(missing):
    if len(missing) == 1:
        return "colonne obligatoire absente"
    return "colonnes obligatoires absentes"
