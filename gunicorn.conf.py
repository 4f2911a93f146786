"""gunicorn's settings for entconv, read from the working directory (`gunicorn entconv.wsgi`).

Threaded workers keep HTTP connections alive and let a request waiting on PostgreSQL or on a
file make room for another: measured by bench/portal.py, twice the requests per second of
the default synchronous workers on the portal's pages. Each thread keeps its own database
connection (CONN_MAX_AGE), so PostgreSQL needs workers × threads connections at most.
"""

import os

worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
