"""How long does ``pdf.generate`` take to print one invoice?

    .venv/bin/python bench/pdf_render.py [--styles classic,modern] [--rounds 1]

Prints every GOBL example the action accepts (invoices, the order, the delivery note,
the party) in each style, warm: a few renders first so that fonts, templates and
Babel's locale data are loaded, as in a worker that has already printed. Each
document's time is the whole print (layout from ``silo.rendering``, number formats,
the Django template, WeasyPrint to PDF bytes) without the database or the file write;
with ``--rounds`` above 1 it is the median of its rounds. Prints the median, the 95th
percentile and the maximum over the documents, with the slowest one named, both as
wall time and as this process's CPU time (the better figure on a busy machine:
rendering is single-threaded, so on an idle one the two agree).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOBL_DIR = ROOT.parent / "shared" / "data" / "gobl"
if not GOBL_DIR.exists():
    GOBL_DIR = ROOT / "shared" / "data" / "gobl"


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--styles", default="classic,modern")
    parser.add_argument("--rounds", type=int, default=1, help="timed renders per document")
    parser.add_argument("--warm", type=int, default=3, help="untimed renders first")
    return parser.parse_args()


def printable_documents(pdf, documents):
    found = []
    for path in sorted(GOBL_DIR.glob("*.json")):
        doc = json.loads(path.read_text())
        schema = documents.schema_of(doc)
        if schema in pdf.GeneratePdf.schemas:
            found.append((path.name, schema, doc))
    return found


def print_once(pdf, schema, doc, style):
    """(wall seconds, CPU seconds of this process, PDF bytes)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    content = pdf.render_pdf(pdf.layout(schema, doc), style=style)
    return time.perf_counter() - started, time.process_time() - cpu_started, content


def summary(timings):
    timings = sorted(timings)
    values = [seconds for seconds, _ in timings]
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return (
        f"median {statistics.median(values) * 1000:5.0f} ms  p95 {p95 * 1000:5.0f} ms"
        f"  max {values[-1] * 1000:5.0f} ms ({timings[-1][1]})"
    )


def main():
    arguments = parse_arguments()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from silo import documents
    from workflows.actions import pdf

    examples = printable_documents(pdf, documents)
    print(f"{len(examples)} GOBL examples from {GOBL_DIR}, {arguments.rounds} timed round(s)")
    for style in arguments.styles.split(","):
        for _name, schema, doc in examples[: arguments.warm]:
            print_once(pdf, schema, doc, style)
        wall, cpu, sizes = [], [], []
        for name, schema, doc in examples:
            rounds = [print_once(pdf, schema, doc, style) for _ in range(arguments.rounds)]
            wall.append((statistics.median(r[0] for r in rounds), name))
            cpu.append((statistics.median(r[1] for r in rounds), name))
            sizes.append(len(rounds[-1][2]))
        for label, timings in (("wall", wall), ("CPU", cpu)):
            print(f"{style:8} {label:4} {summary(timings)}")
        print(f"{style:8} PDF size median {statistics.median(sizes) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
