"""The few files of the State's design system (DSFR) that our public pages use.

django-dsfr ships the whole DSFR build (17 MB, 3,000 files) inside an app that also brings
models, migrations and form templates overriding Django's. We take only its static files,
and only the ones our pages load: the stylesheets below and whatever they point at (fonts,
icons), served by WhiteNoise like the rest of our static files, under "dsfr/".
"""

import re
from functools import cache
from pathlib import Path

import dsfr
from django.contrib.staticfiles import utils
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

DIST = Path(dsfr.__file__).parent / "static" / "dsfr" / "dist"
PREFIX = "dsfr"

# Core first, then the components our pages use, in the order DSFR documents.
STYLESHEETS = [
    "core/core.min.css",
    "component/link/link.min.css",
    "component/button/button.min.css",
    "component/logo/logo.min.css",
    "component/skiplink/skiplink.min.css",
    "component/navigation/navigation.min.css",
    "component/header/header.min.css",
    "component/footer/footer.min.css",
    "component/form/form.min.css",
    "component/input/input.min.css",
    "component/checkbox/checkbox.min.css",
    "component/upload/upload.min.css",
    "component/alert/alert.min.css",
    "component/badge/badge.min.css",
    "component/callout/callout.min.css",
    "component/table/table.min.css",
    "component/stepper/stepper.min.css",
]

# Loaded by the pages themselves (browsers ask for a favicon on every first visit).
OTHER_FILES = ["favicon/favicon.svg", "favicon/favicon.ico"]

URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


@cache
def needed_files():
    """The stylesheets and the files they reference, as paths relative to DIST."""
    files = set(OTHER_FILES)
    for stylesheet in STYLESHEETS:
        files.add(stylesheet)
        text = (DIST / stylesheet).read_text(encoding="utf-8")
        for target in URL.findall(text):
            if target.startswith(("data:", "#", "http:", "https:")):
                continue
            path = (DIST / stylesheet).parent.joinpath(target.split("#")[0].split("?")[0])
            files.add(path.resolve().relative_to(DIST.resolve()).as_posix())
    return sorted(files)


class DsfrFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=DIST)
        self.storage.prefix = PREFIX

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        name = path.removeprefix(PREFIX + "/")
        if name != path and name in needed_files():
            found = str(DIST / name)
            return [found] if find_all else found
        return []

    def list(self, ignore_patterns):
        for name in needed_files():
            if not utils.matches_patterns(name, ignore_patterns or []):
                yield name, self.storage
