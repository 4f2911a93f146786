"""portal.py --weight: what a mairie's browser downloads on its first visit to the private
convention page (HTML, CSS, JS, fonts, images), measured in Chromium on gunicorn + WhiteNoise."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

LIMIT = 1024 * 1024


def start_gunicorn(env, root, port):
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "entconv.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=root,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return server


def measure(url, width):
    """[(kind, url, encoded bytes, decoded bytes)] of every response of a first visit."""
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
        )
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        responses = []
        page.on("response", lambda response: responses.append(response))
        page.goto(url, wait_until="networkidle")
        for response in responses:
            sizes = response.request.sizes()
            body = response.body()
            rows.append(
                (
                    response.request.resource_type,
                    response.url.split("?")[0].rsplit("/", 1)[-1],
                    sizes["responseBodySize"] + sizes["responseHeadersSize"],
                    len(body),
                )
            )
        browser.close()
    return rows


def main(args, portal):
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="entconv-bench-weight-"))
    print(f"Préparation de la base {portal.DB_NAME}…")
    env, token = portal.prepare(workdir)
    port = portal.free_port()
    server = start_gunicorn(env, portal.ROOT, port)
    try:
        for width in (1366, 320):
            rows = measure(f"http://127.0.0.1:{port}/convention/{token}/", width)
            print(f"Première visite de la page privée de la convention, {width} px de large :")
            print(f"{'type':12} {'fichier':48} {'transféré':>10} {'décodé':>10}")
            for kind, name, encoded, decoded in rows:
                print(f"{kind:12} {name[:48]:48} {encoded:10d} {decoded:10d}")
            encoded = sum(row[2] for row in rows)
            decoded = sum(row[3] for row in rows)
            print(f"{'total':12} {len(rows):>3} réponses{'':38} {encoded:10d} {decoded:10d}")
            verdict = "atteint" if decoded <= LIMIT else "NON atteint"
            print(f"Objectif ≤ 1 Mo (décodé, {decoded / 1024:.0f} Kio) : {verdict}\n")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
