"""What HTML a convention text may hold: the layout's blocks, and no reference to anything.

A text is written by staff in the admin and printed by WeasyPrint, which fetches whatever an
attribute points to (a server file, a project file by relative path, a remote address) and can
attach it to the PDF. The renderer refuses to fetch (conventions/pdf.py); this check refuses to
save, and says where.
"""

from functools import lru_cache
from html.parser import HTMLParser

ALLOWED_TAGS = {
    "h1", "h2", "h3", "p", "ul", "ol", "li", "strong", "em", "br",
    # A table is useless without its rows and cells.
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_CLASSES = {
    "section": {"parties", "annex"},
    "div": {"party", "signatures", "signature"},
    "ol": {"schools"},
}
# Attributes whose value WeasyPrint (or a PDF reader) follows.
URL_ATTRIBUTES = {
    "href", "src", "srcset", "data", "xlink:href", "poster", "background", "action",
    "formaction", "cite", "codebase", "archive", "longdesc", "usemap", "manifest", "icon",
}  # fmt: skip
MAX_PROBLEMS = 10


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        references = [(name, value) for name, value in attrs if name in URL_ATTRIBUTES]
        if references:
            for name, value in references:
                self.problems.append(
                    f"ligne {line} : le lien « {value} » (balise <{tag}>, attribut {name}) "
                    "n'est pas permis : un texte de convention ne fait référence à aucun fichier "
                    "ni à aucune adresse"
                )
            return
        classes = ALLOWED_CLASSES.get(tag)
        if tag not in ALLOWED_TAGS and classes is None:
            self.problems.append(f"ligne {line} : la balise <{tag}> n'est pas permise")
            return
        for name, value in attrs:
            if name == "class" and classes is not None:
                if value not in classes:
                    self.problems.append(
                        f"ligne {line} : la classe « {value} » de la balise <{tag}> n'est pas "
                        "permise"
                    )
            else:
                self.problems.append(
                    f"ligne {line} : l'attribut {name} de la balise <{tag}> n'est pas permis"
                )

    handle_startendtag = handle_starttag


# Rendering checks the text of every document it prints: once per distinct text.
@lru_cache(maxsize=32)
def body_problems(body):
    """French descriptions of what the text holds beyond the contract, first ones only."""
    checker = _Checker()
    checker.feed(body)
    checker.close()
    problems = checker.problems
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"… {len(problems)} problèmes en tout"]
    return tuple(problems)


def refusal(problems):
    return (
        "Le texte n'est pas accepté : "
        + " ; ".join(problems)
        + ". Seules les balises et les blocs décrits sous le champ sont permis, sans attribut "
        "autre que leur classe, ni style, ni image, ni lien."
    )
