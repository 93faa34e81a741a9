#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Run the test suites of OCA's crm addons with and without lead_management, and compare.

For each addon: its own tests on a database where crm is installed (with demo data), then on one where
lead_management, its intake API and every bridge that installs itself were installed first. The addon must fail
no more with lead_management than without it; a difference listed in ``oca_tolerated.json`` (test id and why) is
tolerated. The addons come from PyPI as OCA's wheels (``odoo-addon-<name>==18.0.*``, their OCA dependencies
too), unpacked outside the repository (``--oca-home``); nothing of them is committed.

    python3 scripts/oca_suites.py --config .state/odoo.conf --addons crm_lead_firstname,crm_security_group

Exit status: 0 when no addon fails more with lead_management, 1 otherwise, 2 when the wheels cannot be had
(PyPI out of reach): the caller decides whether that is a failure (``make test`` skips the step then, and
says so).
"""
import argparse
import ast
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOLERATED = Path(__file__).with_name("oca_tolerated.json")
# The ten of the comparison in the README, and a few more; each has tests of its own.
DEFAULT_ADDONS = (
    "crm_lead_firstname", "crm_security_group", "crm_won_reason", "crm_stage_probability", "crm_lead_code",
    "crm_lead_vat", "crm_lead_currency", "crm_phonecall", "crm_salesperson_planner", "crm_lead_product",
    "crm_claim", "crm_location", "crm_industry", "crm_partner_assign", "crm_lead_to_task",
    "crm_stage_multi_company", "crm_won_restrict_per_stage", "crm_team_parent",
)
OURS = ("lead_management", "lead_management_api")
RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
FAILURE = re.compile(r" (?:FAIL|ERROR): (\S+)")


def say(message):
    print(f"[oca] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------
# WHEELS
# ------------------------------------------------------------

def manifest(path):
    return ast.literal_eval((path / "__manifest__.py").read_text())


def fetch(addons, oca_addons, known_paths):
    """Unpack the wheels of ``addons`` and of the OCA addons they depend on into ``oca_addons``. Returns False
    when a wheel cannot be downloaded."""
    oca_addons.mkdir(parents=True, exist_ok=True)
    wheels = oca_addons.parent / "wheels"
    wheels.mkdir(exist_ok=True)
    todo, seen = list(addons), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found = next((path / name for path in [oca_addons, *known_paths] if (path / name / "__manifest__.py").exists()),
                     None)
        if not found:
            say(f"downloading odoo-addon-{name}==18.0.*")
            before = set(wheels.iterdir())
            done = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                                   f"odoo-addon-{name}==18.0.*", "-d", str(wheels)],
                                  capture_output=True, text=True, timeout=300)
            new = [path for path in set(wheels.iterdir()) - before if path.suffix == ".whl"] or sorted(
                wheels.glob(f"odoo_addon_{name}-18.0*.whl"))
            if done.returncode or not new:
                say(f"no wheel of {name}: {done.stderr.strip().splitlines()[-1:] or done.returncode}")
                return False
            with tempfile.TemporaryDirectory() as unpacked:
                zipfile.ZipFile(new[0]).extractall(unpacked)
                shutil.copytree(Path(unpacked, "odoo", "addons", name), oca_addons / name, dirs_exist_ok=True)
            found = oca_addons / name
        todo.extend(manifest(found).get("depends", []))
    return True


# ------------------------------------------------------------
# RUNS
# ------------------------------------------------------------

def psql(*args):
    return subprocess.run(["psql", "-d", "postgres", "-tAc", *args], capture_output=True, text=True, check=True).stdout


def drop(db):
    subprocess.run(["dropdb", "--if-exists", db], check=True, capture_output=True)


def odoo(config, db, *args, log, port):
    command = [sys.executable, str(odoo_bin(config)), "-c", str(config), "-d", db, "--stop-after-init",
               f"--http-port={port}", *args]
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False).returncode


def odoo_bin(config):
    parser = configparser.ConfigParser()
    parser.read(config)
    for path in parser["options"]["addons_path"].split(","):
        candidate = Path(path.strip()).parent / "odoo-bin"
        if candidate.exists():
            return candidate
    import odoo
    return Path(odoo.__file__).resolve().parent.parent / "odoo-bin"


def with_oca_path(config, oca_addons, workdir, prefix):
    """make test's odoo.conf with the OCA addons on the path, one per run (``prefix``): several runs on one machine
    (a test-at beside a make test) each keep their own database server and addons."""
    parser = configparser.ConfigParser()
    parser.read(config)
    options = parser["options"]
    options["addons_path"] = f"{options['addons_path']},{oca_addons}"
    options["data_dir"] = str(workdir / f"{prefix}_data")
    path = workdir / f"{prefix}.conf"
    with open(path, "w", encoding="utf-8") as out:
        parser.write(out)
    return path


def read_log(log):
    text = Path(log).read_text(encoding="utf-8", errors="replace")
    results = RESULT.findall(text)
    failed = sorted(set(FAILURE.findall(text)))
    crashed = bool(re.search(r" CRITICAL | ERROR odoo\.modules\.loading|Failed to load registry", text))
    total = sum(int(tests) for _failed, _errors, tests in results)
    errors = sum(int(f) + int(e) for f, e, _tests in results)
    return {"tests": total, "failures": errors, "failed": failed, "crashed": crashed or not results}


def run(config, addon, template, db, workdir, port):
    drop(db)
    created = subprocess.run(["createdb", "-T", template, db], capture_output=True, text=True, check=False)
    if created.returncode:
        raise SystemExit(f"[oca] createdb -T {template} {db} failed: {created.stderr.strip()}")
    log = workdir / f"{db}.log"
    odoo(config, db, "-i", addon, "--test-enable", "--test-tags", f"/{addon}", "--log-level=test", log=log,
         port=port)
    drop(db)
    return {**read_log(log), "log": str(log)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path, help="the odoo.conf of make test")
    parser.add_argument("--addons", default=",".join(DEFAULT_ADDONS), help="comma-separated OCA addon names")
    parser.add_argument("--oca-home", type=Path, default=Path(os.environ.get(
        "XDG_DATA_HOME", Path.home() / ".local" / "share")) / "lead_management" / "oca",
        help="where the wheels are unpacked (outside the repository)")
    parser.add_argument("--port", type=int, default=8369)
    parser.add_argument("--prefix", default="lm_oca")
    parser.add_argument("--report", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    addons = [name.strip() for name in args.addons.split(",") if name.strip()]
    config = args.config.resolve()
    workdir = args.oca_home / "runs"
    workdir.mkdir(parents=True, exist_ok=True)
    oca_addons = args.oca_home / "addons"
    base = configparser.ConfigParser()
    base.read(config)
    # Odoo's own base addons (base, web…) live in odoo/addons of the source tree, beside the addons path.
    known = [Path(path.strip()) for path in base["options"]["addons_path"].split(",")] + [
        odoo_bin(config).parent / "odoo" / "addons"]
    if not fetch(addons, oca_addons, known):
        say("the OCA wheels cannot be had here (PyPI out of reach?): nothing compared")
        return 2
    config = with_oca_path(config, oca_addons, workdir, args.prefix)
    tolerated = json.loads(TOLERATED.read_text()) if TOLERATED.exists() else {}

    # Two templates, built once: crm alone, and crm with lead_management (and its bridges) installed first.
    templates = {"alone": f"{args.prefix}_tpl_alone", "with": f"{args.prefix}_tpl_with"}
    for kind, modules in (("alone", "crm"), ("with", ",".join(("crm", *OURS)))):
        db = templates[kind]
        drop(db)
        log = workdir / f"{db}.log"
        say(f"template {db}: installing {modules}")
        odoo(config, db, "-i", modules, "--log-level=warn", log=log, port=args.port)
        if read_log(log)["crashed"] and "CRITICAL" in log.read_text():
            say(f"installing {modules} failed: see {log}")
            return 1

    results, worse = {}, []
    for addon in addons:
        started = time.monotonic()
        alone = run(config, addon, templates["alone"], f"{args.prefix}_{addon}_alone", workdir, args.port)
        with_us = run(config, addon, templates["with"], f"{args.prefix}_{addon}_with", workdir, args.port)
        new = sorted(set(with_us["failed"]) - set(alone["failed"]))
        accepted = {test: why for test, why in tolerated.get(addon, {}).items() if test in new}
        untolerated = [test for test in new if test not in accepted]
        if with_us["crashed"] and not alone["crashed"]:
            untolerated.append("(install or test run failed)")
        results[addon] = {"alone": alone, "with": with_us, "new_failures": new, "tolerated": accepted,
                          "untolerated": untolerated}
        status = "worse" if untolerated else "same" if not new else "tolerated"
        print(f"{addon}: {alone['tests']} tests; failed alone {alone['failures']}, with lead_management "
              f"{with_us['failures']} ({status}{': ' + ', '.join(untolerated) if untolerated else ''}) "
              f"[{time.monotonic() - started:.0f} s]", flush=True)
        if untolerated:
            worse.append(addon)
    for db in templates.values():
        drop(db)
    if args.report:
        args.report.write_text(json.dumps(results, indent=2))
    tests = sum(result["alone"]["tests"] for result in results.values())
    print(f"{len(addons)} OCA addons, {tests} tests: {len(worse)} fail more with lead_management"
          + (f" ({', '.join(worse)})" if worse else ""))
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
