"""Convention PDFs on PostgreSQL: our pipeline, bare WeasyPrint, parallel issuing, LibreOffice.

1. Per document: our pipeline (gather from the database, render the template, WeasyPrint
   with PDF/A-3a, tags and the JSON attachment, shared stylesheet and fonts) against bare
   WeasyPrint rendering the same final HTML (`HTML(string).write_pdf(stylesheets=[CSS])`).
   Goal: overhead at most 10 %.
2. Issuing 500 conventions (`conventions.batch.issue_many`, as `issue_conventions` does)
   with 1 and with 2 worker processes, timing the issuing alone. Goal: at least 1.8x from
   the second worker. Where the processors' time went (our processes, PostgreSQL, other
   programs, idle, the hypervisor) is printed beside, to tell a lock from a busy machine.
3. Resident memory of one long process over 1,000 documents (no recycling), sampled every
   100 documents. Goal: flat.
4. LibreOffice headless converting the same conventions from ODT to PDF, in one batch
   (`soffice --headless --convert-to pdf a.odt b.odt …`), then ours rendering the same
   conventions in one batch. Goal: we are faster per document.

    .venv/bin/python bench/pdf.py [--quick] [--issued 500] [--memory 1000] [--repeat 30]
        [--libreoffice 50] [--sections 1,2,3,4]
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import create_conventions, setup_django, timed

# Issued PDFs of the benchmark go to a throw-away folder. Worker processes inherit it
# through the environment.
PRIVATE = os.environ.get("ENTCONV_BENCH_PRIVATE") or tempfile.mkdtemp(prefix="entconv-bench-")
os.environ["ENTCONV_BENCH_PRIVATE"] = os.environ["PRIVATE_ROOT"] = PRIVATE

# multiprocessing imports this script again in every worker process, and in every
# replacement, as __mp_main__. They need nothing from it, and the set-up below (migrate,
# collectstatic, Django) would be counted against the workers: `manage.py
# issue_conventions`, the real caller, has no such cost. Django is configured there by
# conventions.batch.setup_worker.
if __name__ != "__mp_main__":
    setup_django("entconv_bench_pdf")

    import datetime
    import statistics
    import zlib
    from decimal import Decimal

    import pydyf
    from django.core.management import call_command
    from django.db import connection
    from weasyprint import CSS, HTML
    from weasyprint.text.ffi import harfbuzz_subset

    from communes.models import Academie
    from conventions.batch import issue_many
    from conventions.models import (
        Convention,
        ConventionTemplate,
        SchoolYear,
        Signatory,
        Tariff,
    )
    from conventions.pdf import (
        PDF_OPTIONS,
        STYLESHEET,
        ConventionDocument,
        font_config,
        html_to_pdf,
        stylesheet,
    )


def option(name, default):
    # `--issued 100` etc.: smaller runs on a busy machine; the defaults are the issue's.
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


QUICK = "--quick" in sys.argv
ISSUED = option("--issued", 60 if QUICK else 500)
MEMORY_DOCS = option("--memory", 200 if QUICK else 1000)
REPEAT = option("--repeat", 10 if QUICK else 30)
LIBREOFFICE_DOCS = option("--libreoffice", 20 if QUICK else 50)
# `--sections 2` or `--sections 1,4`: one part per run, so that each run holding the
# benchmark lock stays short on a shared machine.
SECTIONS = (
    {int(part) for part in sys.argv[sys.argv.index("--sections") + 1].split(",")}
    if "--sections" in sys.argv
    else {1, 2, 3, 4}
)
SCHOOLS_PER_CONVENTION = 4


def fill(count):
    call_command("flush", interactive=False, verbosity=0)
    call_command("loaddata", "reference", verbosity=0)
    templates = Path(__file__).resolve().parent.parent / "fixtures" / "convention_templates.json"
    if templates.exists():
        call_command("loaddata", "convention_templates", verbosity=0)
    year = SchoolYear.objects.get(label="2026-2027")
    year.end_date = year.end_date or datetime.date(2027, 9, 5)
    year.save()
    for academie in Academie.objects.all():
        Tariff.objects.get_or_create(
            school_year=year, academie=academie, defaults={"rate": Decimal("41.00")}
        )
        Signatory.objects.get_or_create(
            school_year=year,
            academie=academie,
            defaults={
                "name": "Carole DRUCKER-GODARD",
                "title_lines": "Rectrice de la région académique Occitanie\n"
                f"Rectrice de l'académie de {academie.name}\nChancelière des universités",
            },
        )
    # The real 2026-2027 wording for every académie (the shipped one may be académie-specific).
    if not ConventionTemplate.objects.filter(school_year=year, academie=None).exists():
        shipped = ConventionTemplate.objects.filter(school_year=year).first()
        if shipped is None:
            from tests.factories import TEMPLATE_BODY

        ConventionTemplate.objects.create(
            school_year=year, name="bench", body=shipped.body if shipped else TEMPLATE_BODY
        )
    conventions = create_conventions(year, count, SCHOOLS_PER_CONVENTION, first_insee=90000)
    return [c.pk for c in conventions]


TICK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    # (command, parent pid, CPU seconds used, start time in seconds since boot)
    with open(f"/proc/{pid}/stat") as file:
        data = file.read()
    command = data[data.index("(") + 1 : data.rindex(")")]
    fields = data[data.rindex(")") + 2 :].split()
    return (
        command,
        int(fields[1]),
        (int(fields[11]) + int(fields[12])) / TICK,
        int(fields[19]) / TICK,
    )


def system_cpu():
    # Seconds of all processors since boot: busy, idle (with I/O wait), stolen by the host.
    with open("/proc/stat") as file:
        user, nice, system, idle, iowait, irq, softirq, steal = map(
            int, file.readline().split()[1:9]
        )
    return {
        "busy": (user + nice + system + irq + softirq) / TICK,
        "idle": (idle + iowait) / TICK,
        "steal": steal / TICK,
    }


class CpuAccount(threading.Thread):
    """Who used the processors during a phase: this process, its worker processes (through
    the forkserver), PostgreSQL, everything else. Processes are sampled every second (5 ms of
    the parent's processor each time), so a process that ends loses at most its last second."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        with open("/proc/uptime") as file:
            self.since = float(file.read().split()[0])
        self.first, self.last, self.kind = {}, {}, {}
        self.system_start = system_cpu()
        self.sample()

    def sample(self):
        parents = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            try:
                command, parent, used, started = proc_stat(pid)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue
            parents[pid] = parent
            # A process born during the phase counts from zero.
            self.first.setdefault(pid, used if started < self.since else 0.0)
            self.last[pid] = used
            self.kind.setdefault(pid, "postgres" if command.startswith("postgres") else command)
        me = os.getpid()
        for pid in parents:
            if pid == me:
                self.kind[pid] = "parent"
            elif parents.get(pid) == me or parents.get(parents.get(pid)) == me:
                self.kind[pid] = "workers"

    def run(self):
        while not self.stop.wait(1):
            self.sample()

    def finish(self):
        self.stop.set()
        self.join()
        self.sample()
        end = system_cpu()
        totals = {"parent": 0.0, "workers": 0.0, "postgres": 0.0, "others": 0.0}
        for pid, used in self.last.items():
            kind = self.kind[pid]
            totals[kind if kind in totals else "others"] += used - self.first[pid]
        totals.update({key: end[key] - self.system_start[key] for key in end})
        return totals


def cpu_report(cpu, wall, documents):
    available = (os.cpu_count() or 1) * wall
    return (
        f"      processeurs ({os.cpu_count()} x {wall:.1f} s = {available:.0f} s) : "
        f"émission {cpu['workers'] + cpu['parent']:.1f} s "
        f"(dont processus parent {cpu['parent']:.1f} s), PostgreSQL {cpu['postgres']:.1f} s, "
        f"autres programmes {cpu['others']:.1f} s, inoccupés {cpu['idle']:.1f} s, "
        f"pris par l'hyperviseur {cpu['steal']:.1f} s\n"
        f"      temps processeur par convention : "
        f"{(cpu['workers'] + cpu['parent']) / documents * 1000:.0f} ms"
    )


def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def document(pk):
    return ConventionDocument.for_draft(
        Convention.objects.select_related(
            "collectivite", "commune", "school_year", "academie"
        ).get(pk=pk)
    )


def ours(pk):
    # The whole pipeline, without the cache of identical inputs (every document differs).
    doc = document(pk)
    import json

    return html_to_pdf.__wrapped__(
        doc.final_html(draft=False),
        json.dumps(doc.figures(), ensure_ascii=False, indent=1),
        doc.document_date,
    )


def phases(final, pk):
    """Where WeasyPrint's time goes, and pydyf's level-9 compression beside ours."""
    layout, drawing = [], []
    for _ in range(REPEAT):
        start = time.process_time()
        rendered = HTML(string=final, base_url=str(STYLESHEET.parent)).render(
            stylesheets=[stylesheet()], font_config=font_config(), **PDF_OPTIONS
        )
        laid_out = time.process_time()
        rendered.write_pdf(**PDF_OPTIONS)
        layout.append(laid_out - start)
        drawing.append(time.process_time() - laid_out)
    print(
        f"   WeasyPrint par étape : mise en page {statistics.median(layout) * 1000:.0f} ms, "
        f"dessin et écriture du PDF {statistics.median(drawing) * 1000:.0f} ms "
        "(temps processeur, médianes)"
    )
    # Alternate the two levels so that both see the same machine.
    ours_zlib = pydyf.zlib
    levels = {ours_zlib: [], zlib: []}
    for _ in range(REPEAT):
        for module, durations in levels.items():
            pydyf.zlib = module
            start = time.process_time()
            ours(pk)
            durations.append(time.process_time() - start)
    pydyf.zlib = ours_zlib
    six, nine = (statistics.median(durations) * 1000 for durations in levels.values())
    print(
        f"   compression zlib niveau 6 (le nôtre) : {six:.0f} ms ; niveau 9 (celui de pydyf) : "
        f"{nine:.0f} ms, en alternance"
    )


def main():
    print(f"machine: {os.cpu_count()} processeurs, charge {os.getloadavg()[0]:.1f}")
    print(f"base : {connection.vendor} {connection.settings_dict['NAME']}")
    subsetter = "HarfBuzz" if harfbuzz_subset else "fontTools (libharfbuzz-subset0 absente)"
    print(f"sous-ensembles des polices : {subsetter}")
    all_pks = fill(max(ISSUED, MEMORY_DOCS, LIBREOFFICE_DOCS))
    ours(all_pks[0])  # warm: fonts, stylesheet, template engine
    ours_median = None

    # 1. Per document ---------------------------------------------------------------
    if 1 in SECTIONS:
        final = document(all_pks[0]).final_html(draft=False)
        ours_median, _ = timed(lambda: ours(all_pks[1]), REPEAT)
        bare_median, _ = timed(
            lambda: HTML(string=final).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))]),
            REPEAT,
        )
        cached_median, _ = timed(lambda: document(all_pks[2]).render(draft=False), REPEAT)
        print("\n1. Par document (médiane de", REPEAT, "rendus)")
        print(
            f"   notre chaîne complète (base + gabarit + PDF/A-3a balisé + pièce jointe) : "
            f"{ours_median * 1000:.0f} ms"
        )
        print(
            f"   WeasyPrint nu sur le même HTML final (PDF simple)                   : "
            f"{bare_median * 1000:.0f} ms"
        )
        print(
            f"   surcoût de notre chaîne : {(ours_median / bare_median - 1) * 100:+.1f} % "
            "(objectif ≤ 10 %)"
        )
        print(
            f"   même document redemandé (cache des entrées identiques)            : "
            f"{cached_median * 1000:.1f} ms"
        )
        phases(final, all_pks[1])

    # 2. Issuing with 1 and 2 workers -------------------------------------------------
    results = {}
    if 2 in SECTIONS:
        print(f"\n2. Émission de {ISSUED} conventions (temps de l'émission seule)")
        for workers in (1, 2):
            all_pks = fill(max(ISSUED, MEMORY_DOCS, LIBREOFFICE_DOCS))
            pks = all_pks[:ISSUED]
            account = CpuAccount()
            account.start()
            start = time.perf_counter()
            failed = sum(1 for _, error in issue_many(pks, workers=workers) if error)
            results[workers] = time.perf_counter() - start
            cpu = account.finish()
            print(
                f"   {workers} processus : {results[workers]:.1f} s, "
                f"{results[workers] / ISSUED * 1000:.0f} ms par convention, {failed} échec(s)"
            )
            print(cpu_report(cpu, results[workers], ISSUED))
        print(
            f"   accélération avec le 2e processus : {results[1] / results[2]:.2f}x "
            "(objectif ≥ 1,8x)"
        )

    # 3. Memory over a long process -------------------------------------------------
    if 3 in SECTIONS:
        print(
            f"\n3. Mémoire résidente d'un processus sur {MEMORY_DOCS} documents (sans recyclage)"
        )
        samples, paces = [f"0:{rss_mb():.0f}"], []
        # Processor time too: a process that slows down as it ages would call for recycling
        # workers as much as a growing one.
        tranche = time.process_time()
        for i, pk in enumerate(all_pks[:MEMORY_DOCS], start=1):
            ours(pk)
            if i % (MEMORY_DOCS // 10) == 0:
                samples.append(f"{i}:{rss_mb():.0f}")
                paces.append(f"{(time.process_time() - tranche) / (MEMORY_DOCS // 10) * 1000:.0f}")
                tranche = time.process_time()
        print("   RSS (Mo) après n documents :", "  ".join(samples))
        print("   temps processeur par document (ms), par dixième :", "  ".join(paces))

    # 4. LibreOffice ------------------------------------------------------------------
    if 4 in SECTIONS:
        libreoffice(all_pks[:LIBREOFFICE_DOCS], ours_median, results)
    shutil.rmtree(PRIVATE, ignore_errors=True)


LIBREOFFICE_ARCHIVAL = (
    '{"SelectPdfVersion":{"type":"long","value":"3"},'
    '"UseTaggedPDF":{"type":"boolean","value":"true"}}'
)


def libreoffice(pks, ours_median, results):
    print(f"\n4. LibreOffice headless, lot de {len(pks)} conventions ODT → PDF")
    soffice = shutil.which("soffice")
    if soffice is None:
        print("   soffice absent : apt-get install -y libreoffice-writer-nogui")
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        env = {**os.environ, "HOME": str(folder)}
        htmls = []
        for i, pk in enumerate(pks):
            path = folder / f"c{i:03d}.html"
            path.write_text(document(pk).final_html(draft=False), encoding="utf-8")
            htmls.append(str(path))

        def convert(target, outdir, files, *options):
            """soffice converting `files` in one batch: (seconds, PDFs produced)."""
            start = time.perf_counter()
            subprocess.run(
                [
                    soffice,
                    "--headless",
                    *options,
                    "--convert-to",
                    target,
                    "--outdir",
                    outdir,
                    *files,
                ],
                check=True,
                capture_output=True,
                env=env,
            )
            return time.perf_counter() - start, len(list(Path(outdir).glob("*.pdf")))

        # The same conventions as ODT documents (the conversion to ODT is not timed).
        convert("odt", str(folder), htmls, "--infilter=HTML (StarWriter)")
        odts = sorted(str(p) for p in folder.glob("c*.odt"))
        batch, produced = convert("pdf", str(folder / "pdf"), odts)
        # The issue's yardstick is the plain export above. For comparison, the closest to
        # our job LibreOffice offers: PDF/A-3b (it has no PDF/A-3a) with tags.
        archival_batch, archival_produced = convert(
            "pdf:writer_pdf_Export:" + LIBREOFFICE_ARCHIVAL, str(folder / "pdfa"), odts
        )
        single, _ = convert("pdf", str(folder / "one"), odts[:1])
    # Ours on the same conventions, in one warm process, right after LibreOffice's batch.
    start = time.perf_counter()
    for pk in pks:
        ours(pk)
    ours_batch = (time.perf_counter() - start) / len(pks)
    theirs = batch / produced
    print(
        f"   {produced} PDF en {batch:.1f} s : {theirs * 1000:.0f} ms par document "
        f"(un document seul, démarrage compris : {single:.1f} s)"
    )
    print(
        f"   en PDF/A-3b balisé (pour comparaison) : {archival_produced} PDF en "
        f"{archival_batch:.1f} s, {archival_batch / archival_produced * 1000:.0f} ms par document"
    )
    print(
        f"   nous, les mêmes {len(pks)} conventions en lot (1 processus, base comprise) : "
        f"{ours_batch * 1000:.0f} ms par document"
    )
    if ours_median is not None:
        print(f"   nous, rendu seul (médiane de la partie 1) : {ours_median * 1000:.0f} ms")
    if results:
        print(
            f"   nous, par convention émise (1 processus, base et stockage compris) : "
            f"{results[1] / ISSUED * 1000:.0f} ms ; avec 2 processus : "
            f"{results[2] / ISSUED * 1000:.0f} ms"
        )
    ratio = ours_batch / theirs
    print(
        f"   notre lot / LibreOffice en lot : {ratio:.2f}x "
        f"({'plus lent' if ratio > 1 else 'plus rapide'} ; objectif < 1)"
    )


if __name__ == "__main__":
    main()
