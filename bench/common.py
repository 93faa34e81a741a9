# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What every benchmark shares: the Odoo configuration of make test, scratch databases, interleaved rounds and
their medians, and the one result line.

    name: ours X s, reference Y s, ratio Z (target T: met|missed)
"""
import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field

import odoo
from odoo import SUPERUSER_ID, api

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.environ.get("ODOO_RC") or os.path.join(ROOT, ".state", "odoo.conf")


def odoo_bin():
    return os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")


def setup_odoo(config=CONFIG):
    odoo.tools.config.parse_config(["-c", config, "--log-level=warn"])
    # As in tests: the jobs do not commit their batches, so that each measure can be rolled back.
    threading.current_thread().testing = True


def psql(db, query):
    return subprocess.run(["psql", "-d", db, "-tAXc", query], capture_output=True, text=True,
                          check=True).stdout.strip()


def db_exists(db):
    return psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"


def drop_db(db):
    odoo.sql_db.close_db(db)
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=True, capture_output=True)


def copy_db(source, target):
    """A copy of ``source`` (PostgreSQL's template copy: seconds, whatever its size)."""
    drop_db(target)
    odoo.sql_db.close_db(source)
    subprocess.run(["createdb", "-T", source, target], check=True, capture_output=True)


def odoo_cli(db, *args, config=CONFIG):
    """odoo-bin on ``db`` in a process of its own, until it stops (-i, -u)."""
    subprocess.run([sys.executable, odoo_bin(), "-c", config, "-d", db, "--stop-after-init", "--log-level=warn",
                    "--without-demo=all", *args], check=True)


@contextlib.contextmanager
def environment(db, uid=SUPERUSER_ID, context=None):
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        yield api.Environment(cr, uid, context or {})


def vacuum(db, *tables):
    """VACUUM ANALYZE ``tables``: every measure starts from the same committed rows, without the dead row versions
    of the measure before (rolled back)."""
    odoo.sql_db.close_db(db)
    psql(db, "VACUUM ANALYZE " + ", ".join(tables) if tables else "VACUUM ANALYZE")


def timed(function):
    """Seconds ``function`` took, or the seconds it says it took (a float it returns: its own set-up left out)."""
    start = time.perf_counter()
    result = function()
    return result if isinstance(result, float) else time.perf_counter() - start


def interleaved(rounds, kinds, prepare=None, log=print):
    """{kind: median seconds} of ``kinds`` ({kind: callable}), measured in turn, round after round, each after
    ``prepare()`` when given (a vacuum). The callables roll back what they did."""
    times = {kind: [] for kind in kinds}
    for round_ in range(1, rounds + 1):
        for kind, function in kinds.items():
            if prepare:
                prepare()
            times[kind].append(timed(function))
        log("    round %s: %s" % (round_, ", ".join(f"{kind} {values[-1]:.2f} s" for kind, values in times.items())))
    return {kind: statistics.median(values) for kind, values in times.items()}, times


@dataclass
class Result:
    """One line of make bench. ``ratio`` is ours / reference in time (for a rate, reference / ours: the same
    thing, leads per second ours / theirs, computed from the times of the same work); ``target`` with its
    comparison."""

    name: str
    ours: float = None
    reference: float = None
    target: float = None
    compare: str = "<="  # how the ratio must stand to the target: <=, <, >=
    rate: bool = False  # the ratio is reference / ours (higher is better)
    note: str = ""
    built: bool = True
    error: str = ""  # the benchmark failed: why
    details: dict = field(default_factory=dict)

    @property
    def ratio(self):
        if self.error or not self.built or not self.ours or not self.reference:
            return None
        return self.reference / self.ours if self.rate else self.ours / self.reference

    @property
    def met(self):
        if self.ratio is None:
            return None
        return {"<=": self.ratio <= self.target, "<": self.ratio < self.target,
                ">=": self.ratio >= self.target}[self.compare]

    def line(self):
        if self.error:
            return f"{self.name}: failed ({self.error})"
        if not self.built:
            return f"{self.name}: not built ({self.note})"
        symbol = {"<=": "≤", "<": "<", ">=": "≥"}[self.compare]
        return (f"{self.name}: ours {self.ours:.2f} s, reference {self.reference:.2f} s, ratio {self.ratio:.2f} "
                f"(target {symbol} {self.target:g}: {'met' if self.met else 'missed'})")

    def as_dict(self):
        return {**asdict(self), "ratio": self.ratio, "met": self.met}
