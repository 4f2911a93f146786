"""Where the private files (issued PDFs, signed copies) live, from one setting.

Empty STORAGE_URL: the local disk (PRIVATE_ROOT), as `make run` uses it. Otherwise an
S3-compatible object storage, through django-storages:

    s3://ACCESS_KEY:SECRET_KEY@s3.example.org/bucket?region=fr-par
    s3+http://…  for a storage on the local network without TLS (the tests' moto server)

Every object is private: the bucket keeps its own (private) ACL, and the application never
hands out a bucket URL; downloads go through its views and their permission checks.
"""

from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SCHEMES = {"s3": "https", "s3+https": "https", "s3+http": "http"}


def private_storage(url, location):
    """The STORAGES entry for the private files."""
    if not url:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            # Readable by the service's account only, whatever its umask.
            "OPTIONS": {
                "location": str(location),
                "base_url": None,
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            },
        }
    parts = urlsplit(url)
    bucket = parts.path.strip("/")
    if parts.scheme not in SCHEMES or not parts.hostname or not bucket or "/" in bucket:
        raise ImproperlyConfigured(
            "STORAGE_URL invalide : elle s'écrit "
            "s3://CLÉ:SECRET@hôte/compartiment (ou s3+http:// sans TLS)."
        )
    from botocore.config import Config

    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    query = parse_qs(parts.query)
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": f"{SCHEMES[parts.scheme]}://{netloc}",
            "access_key": unquote(parts.username or ""),
            "secret_key": unquote(parts.password or ""),
            "region_name": query.get("region", ["us-east-1"])[0],
            # The bucket's own ACL (private); signed URLs if anything ever asked for one.
            "default_acl": None,
            "querystring_auth": True,
            # A replaced signed copy gets a new name, as on the disk: the previous one is
            # deleted once the new one is committed (conventions/signed_copies.py).
            "file_overwrite": False,
            "client_config": Config(
                s3={"addressing_style": "path"},
                # A storage that does not answer fails the issuing of one convention in
                # seconds, not after minutes of retries.
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
