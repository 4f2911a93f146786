"""What the storage API lacks, for both private storages (local disk, S3 object storage):
renaming a file, and turning a storage that cannot be written into a French error."""

import logging
import os
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

logger = logging.getLogger(__name__)

# What a storage raises when it cannot be read or written: the disk (full, read-only), the
# object storage (unreachable, bucket missing, access refused, quota).
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)

UNAVAILABLE = (
    "Le PDF de la convention %(reference)s n'a pas pu être enregistré : le stockage des "
    "fichiers est injoignable ou refuse l'écriture. La convention reste en brouillon ; "
    "réessayez une fois le stockage rétabli."
)


@contextmanager
def storage_errors(reference, message=UNAVAILABLE):
    """Raise a storage failure as a ValidationError naming the convention."""
    try:
        yield
    except STORAGE_ERRORS as error:
        logger.error(
            "Stockage privé indisponible pour %s : %r",
            reference,
            error,
            extra={"reference": reference},
        )
        raise ValidationError(
            message, code="storage_unavailable", params={"reference": reference}
        ) from error


def _s3_key(storage, name):
    return storage._normalize_name(clean_name(name))


def write(storage, name, data, content_type=None):
    """Store `data` (bytes) under exactly `name`, replacing whatever is there; return the name.

    For a caller that owns the name (issuing holds the convention's row lock). The storage
    API's save() would rather pick another name: on the object storage that costs a HEAD
    request, and its upload goes through boto3's transfer manager (threads, multipart), for
    documents of a few dozen kilobytes. One PUT instead, with the storage's own parameters.
    """
    if isinstance(storage, S3Storage):
        key = _s3_key(storage, name)
        params = storage._get_write_parameters(key, ContentFile(data, name=key))
        if content_type:
            # The pending name's suffix would make it application/octet-stream.
            params["ContentType"] = content_type
        storage.connection.meta.client.put_object(
            Bucket=storage.bucket_name, Key=key, Body=data, **params
        )
        return clean_name(name)
    storage.delete(name)
    return storage.save(name, ContentFile(data))


def move(storage, old, new):
    """Give a stored file another name, replacing any file under that name."""
    if isinstance(storage, FileSystemStorage):
        # One atomic rename: a reader sees the old file or the new one, never half of it.
        os.replace(storage.path(old), storage.path(new))
    elif isinstance(storage, S3Storage):
        # A copy inside the storage (the bytes do not come back here), then the deletion.
        # An object appears whole once copied: no reader sees a partial one. Through the
        # client: a boto3 resource object is built anew for every call, which costs more
        # than the request.
        client = storage.connection.meta.client
        client.copy_object(
            Bucket=storage.bucket_name,
            Key=_s3_key(storage, new),
            CopySource={"Bucket": storage.bucket_name, "Key": _s3_key(storage, old)},
        )
        client.delete_object(Bucket=storage.bucket_name, Key=_s3_key(storage, old))
    else:
        with storage.open(old, "rb") as file:
            storage.delete(new)
            storage.save(new, file)
        storage.delete(old)


def stored_names(storage, folder=""):
    """Every file of the storage, an empty (not yet created) local folder included."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from stored_names(storage, f"{folder}/{sub}" if folder else sub)


def reachable(storage):
    """Whether the storage answers (for /sante/): a listing of its top level."""
    try:
        storage.listdir("")
    except FileNotFoundError:
        # A local storage before its first file: the folder is created on the first write.
        return True
    except STORAGE_ERRORS:
        return False
    return True
