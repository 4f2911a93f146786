"""Mairie portal under load: gunicorn (2 workers) on PostgreSQL, 20 concurrent clients.

Measures the private convention page, its PDF download and the simulator search over 30 s
and prints requests per second, p50, p95 and errors for each. Goal: p95 < 100 ms, no error.

    .venv/bin/python bench/portal.py [--seconds 30] [--clients 20] [--cached-only]
    .venv/bin/python bench/portal.py --confirmation   # the confirmation page, GET and POST
    .venv/bin/python bench/portal.py --weight         # bytes of a first visit, in Chromium

Then the same load with the page cache off (PORTAL_CACHE_SECONDS=0), side by side.

The load comes from wrk (Debian package) when installed, else from Python threads.

Needs PostgreSQL (BENCH_PG_SERVER, default postgres://postgres@127.0.0.1:5432):
the database entconv_bench_portal (or BENCH_DB_NAME) is dropped and created anew.
"""

import argparse
import http.client
import os
import secrets
import shutil
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
# BENCH_DB_NAME: a database of one's own when several benches share the server.
DB_NAME = os.environ.get("BENCH_DB_NAME", "entconv_bench_portal")
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
        ["loaddata", "reference", "demo", "convention_templates", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run(manage + command, env=env, check=True, cwd=ROOT)
    os.environ.update(env)
    import django

    django.setup()
    return env, fill_region_and_issue()


def fill_region_and_issue():
    from communes.models import Commune, Departement
    from conventions.issuing import issue
    from conventions.models import Convention
    from schools.models import School
    from tests.factories import valid_uai

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
    # The real issuing: the shipped wording, WeasyPrint, the frozen figures and PDF.
    convention = issue(
        Convention.objects.get(commune__insee_code="66049", school_year__label="2026-2027")
    )
    return convention.new_access_link()


WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def run_wrk(url, connections, seconds, script):
    # wrk (C, Debian's package) loads the server without taking the CPU a Python client
    # needs: on a 2-CPU machine the load generator otherwise competes with the workers.
    return subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, url],
        stdout=subprocess.PIPE,
        text=True,
    )


def parse_wrk(output):
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    requests, duration_us, p50_us, p95_us, errors = (int(x) for x in line.split()[1:])
    return requests / (duration_us / 1e6), p50_us / 1000, p95_us / 1000, errors


def python_client(host, port, path, deadline, latencies, errors):
    while time.monotonic() < deadline:
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
        if ok:
            latencies.append(time.perf_counter() - start)
        else:
            errors.append(1)


def run_python(port, path, connections, seconds):
    latencies, errors = [], []
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=python_client, args=("127.0.0.1", port, path, deadline, latencies, errors)
        )
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    return threads, latencies, errors


def percentile(values, q):
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def load(env, token, args, workdir):
    """Start gunicorn with `env`, load it with the clients, return {name: row}, tool."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "entconv.wsgi",
            "--workers",
            str(args.workers),
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
        # The clients are split over the three addresses (7 + 7 + 6 for 20).
        shares = [args.clients // 3 + (1 if i < args.clients % 3 else 0) for i in range(3)]
        rows = {}
        if shutil.which("wrk"):
            tool = "wrk"
            script = workdir / "report.lua"
            script.write_text(WRK_SCRIPT)
            processes = {
                name: run_wrk(f"http://127.0.0.1:{port}{path}", share, args.seconds, script)
                for (name, path), share in zip(paths, shares, strict=True)
            }
            for name, process in processes.items():
                output, _ = process.communicate()
                rows[name] = parse_wrk(output)
        else:
            tool = "clients Python (installez wrk pour des mesures moins perturbées)"
            runs = {
                name: run_python(port, path, share, args.seconds)
                for (name, path), share in zip(paths, shares, strict=True)
            }
            for name, (threads, latencies, errors) in runs.items():
                for thread in threads:
                    thread.join()
                rows[name] = (
                    len(latencies) / args.seconds,
                    percentile(latencies, 50) * 1000,
                    percentile(latencies, 95) * 1000,
                    len(errors),
                )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return rows, tool


def report(title, rows):
    print(title)
    print(f"{'':26} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'erreurs':>8}")
    for name, (rate, p50, p95, errors) in rows.items():
        print(f"{name:26} {rate:8.1f} {p50:8.1f} {p95:8.1f} {errors:8d}")
    total = sum(row[0] for row in rows.values())
    worst = max(row[2] for row in rows.values())
    errors = sum(row[3] for row in rows.values())
    print(f"{'ensemble':26} {total:8.1f} {'':>8} {worst:8.1f} {errors:8d}  (p95 : le pire)")
    return worst, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="workers de gunicorn")
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="ne pas mesurer à la suite la configuration sans cache (PORTAL_CACHE_SECONDS=0)",
    )
    parser.add_argument(
        "--confirmation",
        action="store_true",
        help="mesurer seulement la page de confirmation des écoles (GET et POST, 8 écoles)",
    )
    parser.add_argument(
        "--weight",
        action="store_true",
        help="mesurer le poids de la première visite de la page privée (HTML, CSS, JS, polices)",
    )
    args = parser.parse_args()
    if args.weight:
        import _portal_weight  # bench/, the script's own folder

        return _portal_weight.main(args, sys.modules[__name__])
    if args.confirmation:
        import _portal_confirmation  # bench/, the script's own folder

        return _portal_confirmation.main(args, sys.modules[__name__])

    workdir = Path(tempfile.mkdtemp(prefix="entconv-bench-portal-"))
    print(f"Préparation de la base {DB_NAME} ({COMMUNES} communes, {COMMUNES * 2} écoles)…")
    env, token = prepare(workdir)
    runs = [("configuration par défaut (cache des pages)", env)]
    if not args.cached_only:
        runs.append(
            ("sans cache des pages (PORTAL_CACHE_SECONDS=0)", {**env, "PORTAL_CACHE_SECONDS": "0"})
        )
    verdicts = []
    for label, run_env in runs:
        rows, tool = load(run_env, token, args, workdir)
        worst, errors = report(
            f"gunicorn {args.workers} workers, PostgreSQL, {args.clients} clients pendant "
            f"{args.seconds} s "
            f"({tool}), {label}",
            rows,
        )
        verdicts.append((label, worst, errors))
    for label, worst, errors in verdicts:
        verdict = "atteint" if worst < 100 and errors == 0 else "NON atteint"
        print(f"Objectif p95 < 100 ms sans erreur, {label} : {verdict}")


if __name__ == "__main__":
    main()
