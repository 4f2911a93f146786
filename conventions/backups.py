"""A backup of everything entconv must never lose, and its restore onto an empty install.

The archive is a folder: the database (pg_dump's custom format, or a copy of the SQLite
file), every file of the private storage under files/, and manifest.json with the SHA-256 of
each. The rows and the files are taken from the same moment where it matters: every file a
row of the dumped database names is in the archive, or the backup fails.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from communes.french import counted, pluralize
from conventions.private_storage import stored_names
from conventions.stored_documents import storage

FORMAT = 1
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
FILES = "files"
MANIFEST = "manifest.json"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def client_environment(settings_dict):
    """pg_dump's and pg_restore's connection, from Django's database settings."""
    env = {**os.environ}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def run(command, env):
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise ValidationError(
            f"{command[0]} est introuvable : installez le client PostgreSQL "
            "(paquet Debian postgresql-client)."
        ) from error
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or "").strip().splitlines()[-3:]
        raise ValidationError(f"{command[0]} a échoué : {' '.join(detail)}") from error


def referenced_names(cursor):
    cursor.execute(
        "SELECT pdf, signed_pdf FROM conventions_convention WHERE pdf <> '' OR signed_pdf <> ''"
    )
    return {name for row in cursor.fetchall() for name in row if name}


def dump_database(target):
    """Dump the database into `target`; returns the file names its rows point to."""
    vendor = connection.vendor
    if vendor == "postgresql":
        path = target / DATABASE_FILES[vendor]
        # One snapshot for pg_dump and for the names read here: a convention issued during
        # the backup is in neither, or in both.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            names = referenced_names(cursor)
            run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={path}",
                ],
                client_environment(connection.settings_dict),
            )
        return names
    if vendor == "sqlite":
        path = target / DATABASE_FILES[vendor]
        connection.ensure_connection()
        # SQLite's online backup: a consistent copy even while the worker writes (WAL).
        copy = sqlite3.connect(path)
        try:
            connection.connection.backup(copy)
            return referenced_names(copy.cursor())
        finally:
            copy.close()
    raise ValidationError(f"Base de données {vendor} : sauvegarde non prise en charge.")


def backup(target):
    """Write the archive into `target` (absent or empty); returns the manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise ValidationError(f"Le dossier {target} n'est pas vide : choisissez-en un nouveau.")
    (target / FILES).mkdir(parents=True, exist_ok=True)
    started = timezone.now()
    referenced = dump_database(target)
    private = storage()
    files = []
    for name in sorted(stored_names(private)):
        path = target / FILES / name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with private.open(name, "rb") as source, open(path, "wb") as copy:
                shutil.copyfileobj(source, copy, 1 << 20)
        except FileNotFoundError:
            # Deleted since the listing (a draft's file, a replaced signed copy): if a dumped
            # row names it, the check below fails the backup.
            path.unlink(missing_ok=True)
            continue
        files.append({"name": name, "size": path.stat().st_size, "sha256": sha256_of(path)})
    missing = sorted(referenced - {entry["name"] for entry in files})
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        count = len(missing)
        raise ValidationError(
            f"{counted(count, 'fichier')} désigné{pluralize(count)} par la base "
            f"manque{pluralize(count, 'nt')} au stockage : {shown}. "
            "Lancez `manage.py verify_documents`."
        )
    database = DATABASE_FILES[connection.vendor]
    manifest = {
        "format": FORMAT,
        "created_at": started.isoformat(),
        "database": {
            "vendor": connection.vendor,
            "file": database,
            "sha256": sha256_of(target / database),
            "size": (target / database).stat().st_size,
        },
        "files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def read_manifest(source):
    """The manifest, once every file of the archive matches its SHA-256."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise ValidationError(f"{source / MANIFEST} est absent ou illisible.") from error
    if manifest.get("format") != FORMAT:
        raise ValidationError(f"Format de sauvegarde inconnu : {manifest.get('format')!r}.")
    problems = []
    database = manifest["database"]
    entries = [(source / database["file"], database["sha256"])] + [
        (source / FILES / entry["name"], entry["sha256"]) for entry in manifest["files"]
    ]
    for path, expected in entries:
        if not path.is_file():
            problems.append(f"{path} manque")
        elif sha256_of(path) != expected:
            problems.append(f"{path} ne correspond plus à son empreinte SHA-256")
    if problems:
        shown = " ; ".join(problems[:10]) + (" …" if len(problems) > 10 else "")
        raise ValidationError(f"Sauvegarde altérée, rien n'a été restauré : {shown}.")
    return manifest


def restore(source):
    """Restore an archive onto an empty database and an empty private storage."""
    source = Path(source)
    manifest = read_manifest(source)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise ValidationError(
            f"Sauvegarde d'une base {vendor} : elle se restaure sur une base {vendor}, "
            f"pas {connection.vendor}."
        )
    if connection.introspection.table_names():
        raise ValidationError(
            "La base de données n'est pas vide : la restauration se fait sur une base neuve "
            "(sans tables)."
        )
    private = storage()
    if next(stored_names(private), None) is not None:
        raise ValidationError("Le stockage des fichiers n'est pas vide : videz-le d'abord.")
    database = source / manifest["database"]["file"]
    if vendor == "postgresql":
        connection.close()
        run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={connection.settings_dict['NAME']}",
                str(database),
            ],
            client_environment(connection.settings_dict),
        )
    else:
        connection.ensure_connection()
        copy = sqlite3.connect(database)
        try:
            copy.backup(connection.connection)
        finally:
            copy.close()
    for entry in manifest["files"]:
        with open(source / FILES / entry["name"], "rb") as file:
            saved = private.save(entry["name"], File(file))
        if saved != entry["name"]:
            raise ValidationError(f"{entry['name']} a été enregistré sous un autre nom : {saved}.")
    return manifest
