"""Mairie portal under load: gunicorn (2 workers) on PostgreSQL, 20 concurrent clients.

Measures the private convention page, its PDF download and the simulator search over 30 s
and prints requests per second, p50, p95 and errors for each. Goal: p95 < 100 ms, no error.

    .venv/bin/python bench/portal.py [--seconds 30] [--clients 20]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/...):
the database entconv_bench_portal is dropped and created anew.
"""

import argparse
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "entconv_bench_portal"
# Occitanie has about 4,450 communes: the simulator searches among as many.
COMMUNES = 4500


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(workdir):
    env = {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{DB_NAME}",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PRIVATE_ROOT": str(workdir / "private"),
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "CONN_MAX_AGE": "60",
        # The limit protects against guessing; the bench's one address must not hit it.
        "PORTAL_RATE_LIMIT": "100000000",
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "entconv.settings",
    }
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "-v0"],
        ["loaddata", "reference", "demo", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run(manage + command, env=env, check=True, cwd=ROOT)
    os.environ.update(env)
    import django

    django.setup()
    return env, fill_region_and_issue()


def fill_region_and_issue():
    from communes.models import Commune, Departement
    from conventions.models import Convention
    from schools.models import School
    from tests.factories import valid_uai
    from tests.portal_helpers import mark_issued

    departements = list(Departement.objects.all())
    prefixes = [
        "Saint",
        "Sainte",
        "Villeneuve",
        "Castel",
        "Mont",
        "Le Mas",
        "Puy",
        "Bourg",
        "Lac",
        "Mazères",
        "Fontès",
        "Aïgues",
        "Peyre",
        "Roque",
        "Sérignan",
    ]
    suffixes = [
        "de-Lévézou",
        "sur-Lot",
        "d'Olt",
        "en-Ségala",
        "des-Corbières",
        "la-Forêt",
        "du-Causse",
        "de-Rivière",
        "en-Comminges",
        "l'Église",
        "Haut",
        "Bas",
    ]
    communes = []
    for n in range(COMMUNES):
        name = f"{prefixes[n % len(prefixes)]}-{suffixes[n // len(prefixes) % len(suffixes)]}-{n}"
        communes.append(
            Commune(
                insee_code=f"{70000 + n:05d}",
                name=name,
                postal_code=f"{(70000 + n * 7) % 100000:05d}",
                departement=departements[n % len(departements)],
                search_name=Commune.normalize_name(name),
            )
        )
    Commune.objects.bulk_create(communes, batch_size=1000)
    schools = [
        School(
            uai=valid_uai(9000000 + n),
            name=f"Ecole primaire publique {n}",
            kind="primaire",
            sector="public",
            commune=commune,
        )
        for n, commune in enumerate(communes * 2)
    ]
    School.objects.bulk_create(schools, batch_size=1000)
    # Issue 3's real issuing replaces this stand-in once merged.
    convention = Convention.objects.get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )
    mark_issued(convention)
    return convention.new_access_link()


def client(host, port, paths, deadline, results, errors):
    index = 0
    while time.monotonic() < deadline:
        name, path = paths[index % len(paths)]
        index += 1
        start = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(host, port, timeout=10)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            ok = response.status == 200
        except OSError:
            ok = False
        elapsed = time.perf_counter() - start
        if ok:
            results[name].append(elapsed)
        else:
            errors[name] += 1


def percentile(values, q):
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="entconv-bench-portal-"))
    print(f"Préparation de la base {DB_NAME} ({COMMUNES} communes, {COMMUNES * 2} écoles)…")
    env, token = prepare(workdir)
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "entconv.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        paths = [
            ("page de la convention", f"/convention/{token}/"),
            ("téléchargement du PDF", f"/convention/{token}/convention.pdf"),
            ("recherche du simulateur", "/simulateur/?school_year=2026-2027&q=ceret"),
        ]
        # Warm up both workers (imports, connections, templates).
        for name, path in paths * 4:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status != 200:
                raise SystemExit(f"{name} : réponse {status} au préchauffage")
        results = {name: [] for name, _ in paths}
        errors = dict.fromkeys(results, 0)
        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=client,
                args=(
                    "127.0.0.1",
                    port,
                    paths[i % 3 :] + paths[: i % 3],
                    deadline,
                    results,
                    errors,
                ),
            )
            for i in range(args.clients)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        duration = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    print(f"gunicorn 2 workers, PostgreSQL, {args.clients} clients, {duration:.1f} s")
    print(f"{'':26} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'erreurs':>8}")
    worst = 0.0
    total_errors = 0
    for name, values in results.items():
        p50, p95 = percentile(values, 50) * 1000, percentile(values, 95) * 1000
        worst = max(worst, p95)
        total_errors += errors[name]
        print(f"{name:26} {len(values) / duration:8.1f} {p50:8.1f} {p95:8.1f} {errors[name]:8d}")
    everything = [v for values in results.values() for v in values]
    p50, p95 = percentile(everything, 50) * 1000, percentile(everything, 95) * 1000
    print(
        f"{'ensemble':26} {len(everything) / duration:8.1f} {p50:8.1f} {p95:8.1f}"
        f" {total_errors:8d}"
    )
    verdict = "atteint" if worst < 100 and total_errors == 0 else "NON atteint"
    print(f"Objectif p95 < 100 ms sans erreur : {verdict}")


if __name__ == "__main__":
    main()
