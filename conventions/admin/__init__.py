# One module per part of the domain; importing them registers their admins.
from conventions.admin import accounts, batches, conventions, reference, titres  # noqa: F401
