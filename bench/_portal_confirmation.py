"""The mairie's confirmation page under load (`bench/portal.py --confirmation`).

20 drafts of 8 open schools each, one per client, each sent for confirmation. Two runs on
gunicorn (2 workers unless --workers) and PostgreSQL: the page (GET) with wrk, then the answer
(POST): each client reads its page (CSRF token, answer's version), then posts, as a mairie
does; only the POST is timed. Goal: p95 ≤ 100 ms, no error (a POST must answer its redirect, 302).

Two lines follow for comparison, outside the goal: the floor of the stack (the static
"Mentions légales" page under the same wrk load), and a realistic load (each of the 20
clients reads its own page and pauses about a second before the next, as people do).
"""

import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

SCHOOLS_PER_DRAFT = 8
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
SCHOOL_RE = re.compile(r'name="ecoles" value="(\d+)"')


def make_drafts(count):
    """`count` draft conventions of the generated communes, 8 open schools each; tokens."""
    from communes.models import Collectivite, Commune
    from conventions.models import Convention, Enrollment, SchoolYear, hash_access_token
    from schools.models import School
    from tests.factories import valid_siret, valid_uai

    year = SchoolYear.objects.get(label="2026-2027")
    tokens = []
    communes = Commune.objects.filter(insee_code__gte="70000").select_related(
        "departement__academie"
    )[:count]
    for n, commune in enumerate(communes):
        existing = School.objects.filter(commune=commune).count()
        School.objects.bulk_create(
            School(
                uai=valid_uai(8000000 + n * SCHOOLS_PER_DRAFT + k),
                name=f"Ecole élémentaire publique {commune.name} {k}",
                kind="elementaire",
                sector="public",
                commune=commune,
            )
            for k in range(SCHOOLS_PER_DRAFT - existing)
        )
        collectivite = Collectivite.objects.create(
            name=f"COMMUNE DE {commune.name.upper()}",
            siret=valid_siret(21700000000000 + n * 100),
            address="PLACE DE LA MAIRIE",
            postal_code=commune.postal_code,
            city=commune.name.upper(),
            representative_name="Jeanne DUPONT",
            representative_title="MAIRE",
            emails=f"mairie{n}@example.org",
        )
        collectivite.communes.add(commune)
        token = secrets.token_urlsafe(32)
        convention = Convention.objects.create(
            collectivite=collectivite,
            commune=commune,
            school_year=year,
            academie=commune.departement.academie,
            access_token_hash=hash_access_token(token),
        )
        schools = School.objects.filter(commune=commune)
        Enrollment.objects.bulk_create(
            Enrollment(convention=convention, school=school, school_year=year)
            for school in schools
        )
        tokens.append(token)
    return tokens


def post_client(port, token, deadline, latencies, errors):
    page = f"/convention/{token}/confirmation/"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    cookie = ""
    n = 0
    while time.monotonic() < deadline:
        try:
            conn.request("GET", page, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            html = response.read().decode()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie" and value.startswith("csrftoken="):
                    cookie = value.split(";", 1)[0]
            schools = SCHOOL_RE.findall(html)
            # Every other answer drops a school: the answer changes each time.
            n += 1
            body = urlencode(
                {
                    "csrfmiddlewaretoken": CSRF_RE.search(html).group(1),
                    "ecoles": schools[: len(schools) - n % 2],
                    "representative_name": "Jeanne DUPONT",
                    "representative_title": "MAIRE",
                    "emails": "mairie@example.org",
                    "confirmed_by": "Bench",
                    "version": VERSION_RE.search(html).group(1),
                },
                doseq=True,
            )
            start = time.perf_counter()
            conn.request(
                "POST",
                page,
                body=body,
                headers={
                    "Cookie": cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
        except (OSError, AttributeError, http.client.HTTPException):
            errors.append(1)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        if response.status == 302:
            latencies.append(elapsed)
        else:
            errors.append(response.status)
    conn.close()


def paced_client(port, path, deadline, latencies, errors, pause):
    """GETs `path` on one kept-alive connection, pausing about `pause` s between requests."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors.append(1)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        if response.status == 200:
            latencies.append(time.perf_counter() - start)
        else:
            errors.append(response.status)
        time.sleep(random.uniform(0.5 * pause, 1.5 * pause))
    conn.close()


def cpu_times():
    """The machine's processor times (/proc/stat, in ticks): user … steal."""
    try:
        with open("/proc/stat") as stat:
            return [int(value) for value in stat.readline().split()[1:9]]
    except OSError:
        return None


def cpu_shares(before, after):
    """Shares of the machine's processor time between two cpu_times(): busy, stolen (the
    hypervisor gave it to another machine: the figures of that phase are then low)."""
    if before is None or after is None:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (
        b - a for a, b in zip(before, after, strict=True)
    )
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return (user + nice + system + irq + softirq) / total, steal / total


def process_ticks(server_pid):
    """Processor ticks used so far (user + system) by gunicorn (master and workers), by
    PostgreSQL (every postgres process) and by this process (the Python clients), from
    /proc: who the two cores served during a phase."""
    ticks = {"gunicorn": 0, "PostgreSQL": 0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        pid = int(stat.parent.name)
        command = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        parent, used = int(fields[1]), int(fields[11]) + int(fields[12])
        if pid == server_pid or parent == server_pid:
            ticks["gunicorn"] += used
        elif command.startswith("postgres"):
            ticks["PostgreSQL"] += used
    own = os.times()
    ticks["clients du banc"] = round((own.user + own.system) * os.sysconf("SC_CLK_TCK"))
    return ticks


def clients_per_worker(server_pid, port):
    """How many of the clients' connections each gunicorn worker holds (ss, iproute2): the
    worker holding more sets the tail of the latencies (entconv/balanced_worker.py spreads
    them evenly). None when ss is missing."""
    if not shutil.which("ss"):
        return None
    workers = {
        int(pid)
        for pid in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    }
    listing = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    held = dict.fromkeys(sorted(workers), 0)
    for pid in re.findall(r"pid=(\d+),", listing):
        if int(pid) in held:
            held[int(pid)] += 1
    return list(held.values())


def ms_per_answer(before, after, answers):
    """Milliseconds of processor per answer (and its page read), per process group."""
    tick = 1000 / os.sysconf("SC_CLK_TCK")
    return {name: (after[name] - before[name]) * tick / max(answers, 1) for name in after}


def row(latencies, errors, seconds, portal):
    return (
        len(latencies) / seconds,
        portal.percentile(latencies, 50) * 1000,
        portal.percentile(latencies, 95) * 1000,
        len(errors),
    )


def comparison(port, tokens, args, workdir, portal):
    """The floor (static legal page, same load as the GET) and the GET at a human pace."""
    rows = {}
    floor = "plancher : mentions légales"
    if shutil.which("wrk"):
        script = workdir / "report.lua"
        script.write_text(portal.WRK_SCRIPT)
        process = portal.run_wrk(
            f"http://127.0.0.1:{port}/mentions-legales/", args.clients, args.seconds, script
        )
        output, _ = process.communicate()
        rows[floor + " (wrk)"] = portal.parse_wrk(output)
    else:
        threads, latencies, errors = portal.run_python(
            port, "/mentions-legales/", args.clients, args.seconds
        )
        for thread in threads:
            thread.join()
        rows[floor] = row(latencies, errors, args.seconds, portal)
    # The answers just posted changed every page: each worker renders it again once, as
    # after the first warm-up; the paced line measures the pages as they are then served.
    for token in tokens[: args.clients] * 2:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/convention/{token}/confirmation/")
        conn.getresponse().read()
        conn.close()
    latencies, errors = run_clients(
        [
            lambda *run, page=f"/convention/{token}/confirmation/": paced_client(
                port, page, *run, 1.0
            )
            for token in tokens[: args.clients]
        ],
        args.seconds,
    )
    rows["GET, pause ~1 s par client"] = row(latencies, errors, args.seconds, portal)
    return rows


def run_clients(clients, seconds):
    """Run each client (called with deadline, latencies, errors) in its own thread for
    `seconds`; return the latencies and errors they recorded."""
    latencies, errors = [], []
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(deadline, latencies, errors)) for client in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def collections(folder):
    """Per worker, from gunicorn.conf.py's log (GUNICORN_GC_LOG): for each generation of the
    garbage collector, how many collections, their total and their longest, in ms."""
    workers = []
    for log in sorted(folder.glob("gc-*.log")):
        seen = {}
        for line in log.read_text().splitlines():
            generation, milliseconds = line.split()
            count, total, longest = seen.get(int(generation), (0, 0.0, 0.0))
            ms = float(milliseconds)
            seen[int(generation)] = (count + 1, total + ms, max(longest, ms))
        workers.append(seen)
    return workers


def run(env, tokens, args, workdir, portal):
    port = portal.free_port()
    gc_logs = workdir / "gc"
    gc_logs.mkdir(exist_ok=True)
    env = {**env, "GUNICORN_GC_LOG": str(gc_logs)}
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
        cwd=portal.ROOT,
    )
    rows = {}
    machine = {}
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        for token in tokens * 2:
            # The first request of each worker imports and compiles: a long wait allowed.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", f"/convention/{token}/confirmation/")
            status = conn.getresponse().status
            conn.close()
            if status != 200:
                raise SystemExit(f"page de confirmation : réponse {status} au préchauffage")

        # GET: wrk, one connection per draft would need one wrk each; the drafts are alike,
        # so the 20 connections share the first one's page.
        start = cpu_times()
        if shutil.which("wrk"):
            script = workdir / "report.lua"
            script.write_text(portal.WRK_SCRIPT)
            process = portal.run_wrk(
                f"http://127.0.0.1:{port}/convention/{tokens[0]}/confirmation/",
                args.clients,
                args.seconds,
                script,
            )
            output, _ = process.communicate()
            rows[f"confirmation GET ({SCHOOLS_PER_DRAFT} écoles)"] = portal.parse_wrk(output)
        else:
            threads, latencies, errors = portal.run_python(
                port, f"/convention/{tokens[0]}/confirmation/", args.clients, args.seconds
            )
            for thread in threads:
                thread.join()
            rows[f"confirmation GET ({SCHOOLS_PER_DRAFT} écoles)"] = (
                len(latencies) / args.seconds,
                portal.percentile(latencies, 50) * 1000,
                portal.percentile(latencies, 95) * 1000,
                len(errors),
            )

        machine["GET"] = cpu_shares(start, start := cpu_times())
        used = process_ticks(server.pid)
        # Read once the clients are connected.
        spread = threading.Timer(
            min(2.0, args.seconds / 2),
            lambda: machine.__setitem__("spread", clients_per_worker(server.pid, port)),
        )
        spread.start()
        latencies, errors = run_clients(
            [
                lambda *run, token=token: post_client(port, token, *run)
                for token in tokens[: args.clients]
            ],
            args.seconds,
        )
        spread.join()
        rows["confirmation POST"] = row(latencies, errors, args.seconds, portal)
        machine["POST"] = cpu_shares(start, cpu_times())
        machine["per_answer"] = ms_per_answer(used, process_ticks(server.pid), len(latencies))
        compared = comparison(port, tokens, args, workdir, portal)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    machine["gc"] = collections(gc_logs)
    return rows, compared, machine


def main(args, portal):
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="entconv-bench-confirmation-"))
    print(f"Préparation de la base {portal.DB_NAME} ({args.clients} brouillons de 8 écoles)…")
    env, _ = portal.prepare(workdir)
    tokens = make_drafts(args.clients)
    rows, compared, machine = run(env, tokens, args, workdir, portal)
    threads = os.environ.get("GUNICORN_THREADS", "défaut de gunicorn.conf.py")
    worst, errors = portal.report(
        f"gunicorn {args.workers} workers (threads : {threads}), PostgreSQL, {args.clients} "
        f"clients pendant {args.seconds} s, "
        "page de confirmation de la mairie (GET : wrk ; POST : clients Python, lecture de la "
        "page puis envoi, seul l'envoi est chronométré)",
        rows,
    )
    verdict = "atteint" if worst <= 100 and errors == 0 else "NON atteint"
    print(f"Objectif p95 ≤ 100 ms sans erreur : {verdict}")
    per_answer = machine.pop("per_answer")
    spread = machine.pop("spread", None)
    garbage = machine.pop("gc", [])
    for phase, shares in machine.items():
        if shares is not None:
            busy, stolen = shares
            print(
                f"Processeurs pendant le {phase} : occupés {busy:.0%}, pris par l'hyperviseur "
                f"pour d'autres machines {stolen:.0%}"
            )
    print(
        "Processeur par réponse (la page lue puis l'envoi) : "
        + ", ".join(f"{name} {ms:.1f} ms" for name, ms in per_answer.items())
    )
    if spread:
        print(
            "Connexions des clients par worker pendant le POST : "
            + " / ".join(str(count) for count in spread)
        )
    for n, seen in enumerate(garbage, 1):
        print(
            f"Ramasse-miettes du worker {n} (tout le banc) : "
            + " ; ".join(
                f"génération {generation} : {count} passages, {total:.0f} ms en tout, "
                f"{longest:.1f} ms au plus"
                for generation, (count, total, longest) in sorted(seen.items())
            )
        )
    print()
    print("Pour comparer (hors objectif), même serveur :")
    print(f"{'':34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'erreurs':>8}")
    for name, (rate, p50, p95, errors) in compared.items():
        print(f"{name:34} {rate:8.1f} {p50:8.1f} {p95:8.1f} {errors:8d}")
