# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every benchmark, one line each, on data of one generator (bench/datagen.py): make bench [SIZE=…] [ROUNDS=…].

    python3 bench/run.py [--size 100000] [--rounds 3] [--due 1000] [--only scoring,jobs] [--json PATH]

Each line: ``name: ours X s, reference Y s, ratio Z (target T: met|missed)``, both sides measured in the same run,
the medians of interleaved rounds; a capability that is not in main says "not built". The results (with each
benchmark's details, the size, the machine) are written as JSON (default .state/bench-<size>.json). Exit status 0
when every line ran (met or missed: the figures are the output), 1 when a benchmark failed.
"""
import argparse
import json
import os
import platform
import sys
import time
import traceback
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_channel_events
import bench_create
import bench_handoff
import bench_install
import bench_intake
import bench_jobs
import bench_reports
import bench_scoring
import datagen
from common import ROOT, Result, setup_odoo

BENCHMARKS = {
    "scoring": bench_scoring, "create": bench_create, "jobs": bench_jobs, "reports": bench_reports,
    "intake": bench_intake, "handoff": bench_handoff, "install": bench_install, "channels": bench_channel_events,
}


@dataclass
class Context:
    size: int
    rounds: int
    due: int

    def database(self, kind, size=None):
        """The generated database of ``kind`` ("lm", "crm") at this run's size (or ``size``), built once."""
        return datagen.ensure(kind, size or self.size, self.due, log=self.log)

    @staticmethod
    def log(message):
        print(message, file=sys.stderr, flush=True)


def machine():
    cpus = os.cpu_count()
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            memory = int(meminfo.readline().split()[1]) // 1024 // 1024
    except OSError:
        memory = None
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": cpus, "memory_gib": memory, "cpu": model, "python": platform.python_version(),
            "system": platform.platform()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="leads of the generated CRM")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians compared")
    parser.add_argument("--due", type=int, default=1000, help="SLA clocks and nurture steps due in the jobs' line")
    parser.add_argument("--only", help="comma-separated: " + ", ".join(BENCHMARKS))
    parser.add_argument("--json", help="where the results go (default .state/bench-<size>.json)")
    args = parser.parse_args()
    names = [name.strip() for name in args.only.split(",")] if args.only else list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}")
    setup_odoo()
    ctx = Context(args.size, args.rounds, args.due)
    results, failed = [], []
    started = time.perf_counter()
    for name in names:
        ctx.log(f"[bench] {name}")
        bench_started = time.perf_counter()
        try:
            lines = BENCHMARKS[name].run(ctx)
        except Exception:
            ctx.log(traceback.format_exc())
            failed.append(name)
            lines = [Result(name, error=f"{traceback.format_exc().strip().splitlines()[-1]}; the traceback is above")]
        for result in lines:
            result.details.setdefault("benchmark", name)
            result.details.setdefault("seconds", round(time.perf_counter() - bench_started, 1))
            print(result.line(), flush=True)
        results += lines
    path = args.json or os.path.join(ROOT, ".state", f"bench-{args.size}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"size": args.size, "rounds": args.rounds, "due": args.due, "machine": machine(),
                   "seconds": round(time.perf_counter() - started, 1),
                   "results": [result.as_dict() for result in results]}, out, indent=2, default=str)
    ctx.log(f"[bench] results written to {path} ({time.perf_counter() - started:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
