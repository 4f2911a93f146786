"""Throughput of a campaign issued through the task queue and the object storage, end to
end: an IssuingBatch enqueued as the admin action enqueues it, run by 1 then 2 real
`manage.py db_worker` processes (each in its own working directory, as on two machines),
the PDFs written to a local S3 server (moto, in its own process).

    python bench/issuing_queue.py --conventions 2400   # the issue's figure, on a quiet machine
    python bench/issuing_queue.py --conventions 400    # a shorter run
    python bench/issuing_queue.py --two-only           # 2,400 with 2 workers only

Goal (issue 16): 2,400 conventions with 2 workers in 8 min or less, 2 workers ≥ 1.8× as
fast as 1. Runs on its own PostgreSQL database (BENCH_QUEUE_DATABASE_URL, default
entconv_bench_queue on the local server), dropped and rebuilt for each run.
"""

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import create_conventions, recreate_database  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_QUEUE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/entconv_bench_queue"
)
GOAL_SECONDS_2400 = 8 * 60
GOAL_SPEEDUP = 1.8
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entconv.settings")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_s3():
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-c", "import moto.server; moto.server.main()"),
            *("-H", "127.0.0.1", "-p", str(port)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("le serveur S3 (moto) n'a pas démarré en 30 s")
            time.sleep(0.2)


def new_bucket(endpoint):
    import boto3

    name = f"bench-{secrets.token_hex(4)}"
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        aws_access_key_id="bench",
        aws_secret_access_key="secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    return client, name, f"s3+http://bench:secret@{endpoint}/{name}"


def fill(count):
    from decimal import Decimal

    from django.core.management import call_command

    from communes.models import Academie
    from conventions.models import ConventionTemplate, SchoolYear, Signatory, Tariff

    call_command("migrate", verbosity=0, interactive=False)
    call_command("loaddata", "reference", "convention_templates", verbosity=0)
    year = SchoolYear.objects.get(label="2026-2027")
    for academie in Academie.objects.all():
        Tariff.objects.get_or_create(
            school_year=year, academie=academie, defaults={"rate": Decimal("41.00")}
        )
        Signatory.objects.get_or_create(
            school_year=year,
            academie=academie,
            defaults={"name": "Carole DRUCKER-GODARD", "title_lines": "Rectrice"},
        )
    # The shipped wording for every académie (as bench/pdf.py does).
    shipped = ConventionTemplate.objects.filter(school_year=year).first()
    ConventionTemplate.objects.create(school_year=year, name="bench", body=shipped.body)
    return year, [c.pk for c in create_conventions(year, count, 1, first_insee=90000)]


def cpu_seconds(pid):
    # utime + stime of the process, from /proc (Linux).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds():
    # Every PostgreSQL process of the machine (server and backends), plus what the server
    # has reaped: a worker closes its connection after each task (CONN_MAX_AGE), so most
    # backends end during the run, and their time then shows only in the server's
    # children's time (cutime, cstime).
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])
            if fields[1] == "1" or "(postgres)" not in Path(f"/proc/{fields[1]}/stat").read_text():
                ticks += int(fields[13]) + int(fields[14])
            total += ticks / os.sysconf("SC_CLK_TCK")
    return total


def issue_batch(year, pks, processes):
    from conventions.models import IssuingBatch
    from conventions.tasks import issue_in_background

    batch = IssuingBatch.objects.create(school_year=year, convention_ids=pks, total=len(pks))
    start = time.perf_counter()
    issue_in_background.enqueue(batch.pk)
    while not IssuingBatch.objects.filter(pk=batch.pk, finished_at__isnull=False).exists():
        if any(process.poll() is not None for process in processes):
            sys.exit("un db_worker s'est arrêté pendant la mesure")
        time.sleep(0.25)
    batch.refresh_from_db()
    assert (batch.issued_count, batch.failures) == (len(pks), []), batch.failures
    return time.perf_counter() - start


def run(count, workers, endpoint, s3_pid):
    from django.db import connections

    connections.close_all()
    recreate_database(DATABASE_URL)
    # A few more, for each worker's first documents (WeasyPrint's import and fonts), which
    # a long-running worker pays once: issued before the measure.
    warm_up = 3 * workers
    year, pks = fill(count + warm_up)
    client, bucket, storage_url = new_bucket(endpoint)
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "STORAGE_URL": storage_url,
        "LOG_LEVEL": "WARNING",
    }
    processes = []
    for n in range(workers):
        workdir = Path(tempfile.mkdtemp(prefix=f"entconv-bench-worker-{n}-"))
        processes.append(
            subprocess.Popen(
                [
                    *(sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-reload"),
                    *("-v", "0", "--interval", "0.2", "--worker-id", f"bench-{n}"),
                ],
                cwd=workdir,
                env=env,
                stdout=subprocess.DEVNULL,
            )
        )
    # Workers are services, up and warm before a campaign is issued: not timed.
    issue_batch(year, pks[:warm_up], processes)
    cpu_before = sum(cpu_seconds(process.pid) for process in processes)
    s3_before, pg_before = cpu_seconds(s3_pid), postgres_cpu_seconds()
    load_before = Path("/proc/loadavg").read_text().strip()
    seconds = issue_batch(year, pks[warm_up:], processes)
    load_after = Path("/proc/loadavg").read_text().strip()
    cpu = sum(cpu_seconds(process.pid) for process in processes) - cpu_before
    s3_cpu = cpu_seconds(s3_pid) - s3_before
    pg_cpu = postgres_cpu_seconds() - pg_before
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)
    stored = sum(
        page.get("KeyCount", 0)
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    )
    assert stored == count + warm_up, stored
    print(
        f"{workers} db_worker : {count} conventions en {seconds:.1f} s "
        f"({count / seconds:.2f} conv./s ; {cpu / count:.2f} s de processeur des workers par "
        f"convention) ; charge avant {load_before} ; après {load_after}",
        flush=True,
    )
    print(
        f"  processeur par convention : workers {cpu / count * 1000:.0f} ms, serveur S3 "
        f"{s3_cpu / count * 1000:.0f} ms, PostgreSQL {pg_cpu / count * 1000:.0f} ms ; "
        f"ensemble {(cpu + s3_cpu + pg_cpu) / count * 1000:.0f} ms pour "
        f"{os.cpu_count() * seconds / count * 1000:.0f} ms de la machine "
        f"({os.cpu_count()} processeurs × durée)",
        flush=True,
    )
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conventions", type=int, default=2400)
    parser.add_argument(
        "--two-only",
        action="store_true",
        help="only the 2-worker run (the 2,400 figure without the long 1-worker run)",
    )
    args = parser.parse_args()
    import django

    recreate_database(DATABASE_URL)
    django.setup()
    print(f"machine : {os.cpu_count()} processeurs ; base : {DATABASE_URL}", flush=True)
    server, endpoint = start_s3()
    try:
        one = None if args.two_only else run(args.conventions, 1, endpoint, server.pid)
        two = run(args.conventions, 2, endpoint, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if one is not None:
        print(f"accélération à 2 workers : {one / two:.2f}× (objectif ≥ {GOAL_SPEEDUP}×)")
    projected = two * 2400 / args.conventions
    print(
        f"2 400 conventions à 2 workers : {projected / 60:.1f} min au rythme mesuré "
        f"(objectif ≤ {GOAL_SECONDS_2400 // 60} min)"
        + ("" if args.conventions == 2400 else ", extrapolé")
    )


if __name__ == "__main__":
    main()
