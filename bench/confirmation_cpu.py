"""CPU per request and queries of the mairie's confirmation page, with Django's test client.

A load-independent proxy for `bench/portal.py --confirmation` (whose latencies depend on what
else the machine runs): the CPU time this process spends per GET (the page unchanged, then
the page just after an answer, rendered again) and per POST, and the number of queries each
makes, on a draft of 8 schools.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/entconv_x .venv/bin/python \
        bench/confirmation_cpu.py [--requests 200]

A test database (test_<name>) is created and dropped; without DATABASE_URL, SQLite.
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entconv.settings")
    os.environ["PORTAL_RATE_LIMIT"] = "100000000"
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    import django

    django.setup()
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import (
        CaptureQueriesContext,
        setup_test_environment,
        teardown_test_environment,
    )

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        call_command("loaddata", "reference", "demo", verbosity=0)
        token = make_draft(mail)
        run(args.requests, token, CaptureQueriesContext, connection)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def make_draft(mail):
    from conventions import confirmations
    from conventions.models import Convention, Enrollment
    from tests.factories import SchoolFactory

    convention = Convention.objects.get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )
    # Céret enrolls 4 schools: 4 more of its commune make the bench's 8.
    for n in range(8 - convention.enrollments.count()):
        school = SchoolFactory(commune=convention.commune, name=f"Ecole primaire publique {n}")
        Enrollment.objects.create(
            convention=convention, school=school, school_year=convention.school_year
        )
    confirmations.send_for_confirmation(convention)
    return re.search(r"/convention/([A-Za-z0-9_-]{43})/", mail.outbox[-1].body).group(1)


def python_calls(get, post, rounds=20):
    """Python function calls per request, counted by cProfile: the same on every run, where
    processor times follow whatever else the machine runs. Counted with the test client and
    its instrumented templates, which add some to each request."""
    import cProfile
    import pstats

    def counted(request):
        profiler = cProfile.Profile()
        profiler.runcall(request)
        return pstats.Stats(profiler).total_calls

    totals = {"GET (page inchangée)": 0, "POST (réponse)": 0, "GET après une réponse": 0}
    for _ in range(rounds):
        get()
        totals["GET (page inchangée)"] += counted(get)
        totals["POST (réponse)"] += counted(post)
        totals["GET après une réponse"] += counted(get)
    return {name: total / rounds for name, total in totals.items()}


def timed(count, request):
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        request()
    return (
        (time.process_time() - cpu) * 1000 / count,
        (time.perf_counter() - wall) * 1000 / count,
    )


def run(count, token, CaptureQueriesContext, connection):
    from django.test import Client
    from django.urls import reverse

    from conventions.models import Convention, SchoolConfirmation

    client = Client()
    url = reverse("conventions:confirm", args=[token])
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    schools = re.findall(r'name="ecoles" value="(\d+)"', page.content.decode())
    assert len(schools) == 8, schools
    convention = Convention.objects.get(
        commune__insee_code="66049", school_year__label="2026-2027"
    )

    def get():
        response = client.get(url)
        assert response.status_code == 200

    answers = iter(range(10**9))

    def post():
        n = next(answers)
        latest = SchoolConfirmation.objects.filter(convention=convention).order_by("-pk").first()
        # Form-encoded, as the page's form and bench/portal.py send it (the test client's
        # default, multipart, costs more to parse).
        response = client.post(
            url,
            content_type="application/x-www-form-urlencoded",
            data=urlencode(
                {
                    # Every other answer drops a school, as in bench/portal.py.
                    "ecoles": schools[: len(schools) - n % 2],
                    "representative_name": "Michel COSTE",
                    "representative_title": "MAIRE",
                    "emails": "ent-ecole@mairie-ceret.example",
                    "confirmed_by": "Bench",
                    "version": str(latest.pk if latest else 0),
                },
                doseq=True,
            ),
        )
        assert response.status_code == 302, response.content.decode()[:2000]

    # The log is a bounded deque: emptied first, so that its length grows with each query.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        get()
    get_queries = list(captured)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        post()
    post_queries = list(captured)
    # The page just after an answer: rendered again, as every answer changes it.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        get()
    fresh_queries = list(captured)
    if os.environ.get("BENCH_SHOW_QUERIES"):
        for query in [*get_queries, *post_queries, *fresh_queries]:
            print(query["sql"][:150])
    # Warm up (templates, caches).
    timed(20, get)
    timed(20, post)
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        # BENCH_PROFILE=get, post, pair (an answer then its page, as in bench/portal.py), or
        # fresh (the page just after an answer, the answer itself not profiled).
        kind = os.environ["BENCH_PROFILE"]
        if kind == "fresh":
            for _ in range(50):
                post()
                profiler.runcall(get)
        else:
            profiled = {"get": get, "post": post, "pair": lambda: (post(), get())}
            profiler.runcall(timed, 50, profiled[kind])
        # BENCH_PROFILE_SORT=tottime for the functions' own time.
        stats = pstats.Stats(profiler)
        stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("BENCH_PROFILE_LINES", "45")))
    calls = python_calls(get, post)
    get_cpu, get_wall = timed(count, get)
    # The POST's own version lookup is timed with it: measured apart and subtracted.
    post_cpu, post_wall = timed(count, post)
    lookup_cpu, lookup_wall = timed(
        count,
        lambda: SchoolConfirmation.objects.filter(convention=convention).order_by("-pk").first(),
    )
    # An answer then its page, as each client of bench/portal.py does: the page's share is
    # the pair's time less the answer's.
    pair_cpu, pair_wall = timed(count, lambda: (post(), get()))
    print(f"{connection.vendor}, {count} requêtes chacune")
    print(f"{'':24} {'CPU ms/req':>10} {'durée ms/req':>12} {'requêtes SQL':>12}")
    print(f"{'GET confirmation':24} {get_cpu:10.2f} {get_wall:12.2f} {len(get_queries):12d}")
    print(
        f"{'POST confirmation':24} {post_cpu - lookup_cpu:10.2f} "
        f"{post_wall - lookup_wall:12.2f} {len(post_queries) - 1:12d}"
    )
    print(
        f"{'GET après une réponse':24} {pair_cpu - post_cpu:10.2f} "
        f"{pair_wall - post_wall:12.2f} {len(fresh_queries):12d}"
    )
    print()
    print("Appels de fonctions Python par requête (cProfile ; ne dépend pas de la charge) :")
    for name, number in calls.items():
        print(f"  {name:22} {number:8.0f}")


if __name__ == "__main__":
    main()
