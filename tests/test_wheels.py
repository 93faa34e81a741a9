"""The addons as pip wheels, as OCA ships its addons: each addon folder builds a wheel with OCA's whool backend
(``odoo-addon-<addon>``, versioned from its manifest, its dependencies from the manifest); the wheels install into a
fresh virtual environment over the Odoo source, and Odoo installs the modules in a new database from there, with
nothing of this repository on its addons path."""
import subprocess
import sys
import tempfile
import uuid
import zipfile
from email.parser import Parser
from pathlib import Path

import odoo

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("lead_management", "lead_management_api", "lead_management_event", "lead_management_mass_mailing",
          "lead_management_website", "lead_management_queue")
ODOO_SOURCE = Path(odoo.__file__).resolve().parent.parent


def run(*command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))}:\n{(result.stdout + result.stderr)[-4000:]}"
    return result.stdout


def metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        name = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode())


def test_the_addons_install_from_their_wheels():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wheels = tmp / "wheels"
        run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(wheels),
            *[str(ROOT / addon) for addon in ADDONS])
        built = {metadata(wheel)["Name"]: (wheel, metadata(wheel)) for wheel in wheels.glob("*.whl")}
        assert set(built) == {f"odoo-addon-{addon}" for addon in ADDONS}
        for addon in ADDONS:
            wheel, meta = built[f"odoo-addon-{addon}"]
            manifest = odoo.modules.get_manifest(addon)
            assert meta["Version"].startswith(manifest["version"]), (addon, meta["Version"])
            requires = meta.get_all("Requires-Dist")
            assert "odoo==18.0.*" in requires
            for depend in manifest["depends"]:
                if depend.startswith("lead_management"):
                    assert f"odoo-addon-{depend}==18.0.*" in requires, (addon, depend, requires)
        assert "pydantic" in built["odoo-addon-lead_management_api"][1].get_all("Requires-Dist")
        assert "odoo-addon-queue_job==18.0.1.7.0" in built["odoo-addon-lead_management_queue"][1].get_all(
            "Requires-Dist")
        # A fresh virtual environment over the Odoo source (its packages, Odoo's requirements and OCA's queue_job,
        # from the Python that runs the tests), the wheels installed into it from the folder alone.
        venv = tmp / "venv"
        run(sys.executable, "-m", "venv", "--system-site-packages", str(venv))
        python = venv / "bin" / "python"
        run(str(python), "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheels),
            *[f"odoo-addon-{addon}" for addon in ADDONS])
        site = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
        for addon in ADDONS:
            assert (site / "odoo" / "addons" / addon / "__manifest__.py").exists(), addon
        # Odoo's addons, the OCA addons of the system's Python, and the wheels': nothing of this repository.
        system = [path for path in odoo.addons.__path__ if "site-packages" in path]
        addons_path = ",".join([str(ODOO_SOURCE / "addons"), str(site / "odoo" / "addons"), *system])
        assert str(ROOT) not in addons_path
        config = tmp / "odoo.conf"
        config.write_text(f"[options]\naddons_path = {addons_path}\ndata_dir = {tmp / 'data'}\n"
                          f"admin_passwd = admin\nlog_level = warn\n")
        db = f"lm_wheels_{uuid.uuid4().hex[:8]}"
        try:
            run(str(python), str(ODOO_SOURCE / "odoo-bin"), "-c", str(config), "-d", db, "-i",
                "lead_management_api,lead_management_queue", "--without-demo=all", "--stop-after-init",
                "--http-port=0", timeout=900)
            out = run(str(python), str(ODOO_SOURCE / "odoo-bin"), "shell", "-c", str(config), "-d", db, "--no-http",
                      input="import odoo\n"
                            "print('PATH', odoo.modules.get_module_path('lead_management'))\n"
                            "lead = env['crm.lead'].create({'name': 'From the wheels', 'type': 'lead'})\n"
                            "print('LEAD', lead.lifecycle_stage_id.code, lead.grade_id.name)\n"
                            "print('STATES', sorted(env['ir.module.module'].search([('name', 'like', "
                            "'lead_management%')]).mapped(lambda m: (m.name, m.state))))\n", timeout=300)
            lines = dict(line.split(" ", 1) for line in out.splitlines() if line.split(" ", 1)[0] in
                         ("PATH", "LEAD", "STATES"))
            assert lines["PATH"].startswith(str(site)), lines["PATH"]
            assert lines["LEAD"] == "target D", lines["LEAD"]
            states = dict(eval(lines["STATES"]))
            assert states["lead_management"] == states["lead_management_api"] == states["lead_management_queue"] \
                == "installed", states
        finally:
            subprocess.run(["dropdb", "--if-exists", "--force", db], check=False, capture_output=True)
