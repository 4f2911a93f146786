"""How gunicorn's workers share the connections their clients keep alive, over many arrivals.

A client (or the reverse proxy) keeps its connection: the worker that took it serves all its
requests, on one processor (the GIL). When one worker holds most of the clients, they wait
while the other idles (bench/portal.py --confirmation: 16 of 20 clients on one worker gave
the answer's p95 of 111 ms; 10/10, 59 to 73 ms). This opens --clients connections at once, a
request on each (a static file: no database), reads which worker holds each (ss, iproute2),
closes them, waits until the workers have let them go, and starts again, --rounds times. It
prints how often each split came, and in how many rounds a worker held 30 % more than an
even share (13 or more of 20 for two workers).

    .venv/bin/python bench/connection_spread.py [--rounds 100] [--clients 20] [--workers 2]

gunicorn is started from the project's folder, so with its gunicorn.conf.py: run it in a
worktree of an older commit to compare.
"""

import argparse
import collections
import http.client
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gunicorn_server import free_port, kept_alive, production_env  # noqa: E402


def static_path(env):
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    manifest = json.loads(manifest.read_text())
    return "/static/" + manifest["paths"]["conventions/portal.css"]


def held_by_worker(port):
    """{pid: connections} of the server's side of the port, whatever their state."""
    listing = subprocess.run(
        ["ss", "-Htnp", f"( sport = :{port} )"], capture_output=True, text=True, check=True
    ).stdout
    return collections.Counter(int(pid) for pid in re.findall(r"pid=(\d+),", listing))


def one_round(port, path, clients):
    connections, statuses = kept_alive(port, path, clients)
    if statuses != [200] * clients:
        sys.exit(f"{path} : réponses {sorted(set(statuses))}")
    held = held_by_worker(port)
    for connection in connections:
        connection.close()
    deadline = time.monotonic() + 10
    while held_by_worker(port) and time.monotonic() < deadline:
        time.sleep(0.02)
    return held


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="entconv-bench-spread-"))
    env = production_env(workdir, "locmemcache://")
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "entconv.wsgi",
            *("--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"),
            *("--keep-alive", "60", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    path = static_path(env)
    splits = collections.Counter()
    try:
        deadline = time.monotonic() + 60
        while True:  # every worker up: each has answered a connection
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", path)
                connection.getresponse().read()
                workers = Path(f"/proc/{server.pid}/task/{server.pid}/children")
                if len(workers.read_text().split()) == args.workers:
                    break
            except OSError:
                pass
            finally:
                connection.close()
            if time.monotonic() > deadline:
                sys.exit("gunicorn n'a pas démarré en 60 s")
            time.sleep(0.2)
        # The workers load the application before taking connections: rounds not counted.
        for _ in range(3):
            one_round(port, path, args.clients)
        for _ in range(args.rounds):
            held = one_round(port, path, args.clients)
            counts = sorted(held.values(), reverse=True)
            splits[" / ".join(map(str, counts + [0] * (args.workers - len(counts))))] += 1
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"gunicorn {args.workers} workers, {args.clients} connexions ouvertes ensemble, "
        f"{args.rounds} fois : répartition (le worker le plus chargé d'abord)"
    )
    for split, count in sorted(splits.items(), key=lambda item: -int(item[0].split()[0])):
        print(f"  {split:>12} : {count:4d} fois ({count / args.rounds:.0%})")
    # 13 or more of 20 for two workers: 30 % above an even share.
    share = args.clients / args.workers
    heavy = sum(count for split, count in splits.items() if int(split.split()[0]) >= 1.3 * share)
    print(
        f"Un worker avec 30 % de plus que sa part ({share:.1f}) ou davantage : {heavy} fois "
        f"sur {args.rounds} ({heavy / args.rounds:.0%})"
    )


if __name__ == "__main__":
    main()
