"""Concurrent replays of one external_id make one lead (and one event), against a real Odoo server.

Odoo's HttpCase cannot show this: its requests share one test transaction and run one at a time. Here a
scratch database with lead_management_api (and its demo API key) is served by a real ``odoo-bin`` process,
threaded, each request in its own transaction, and threads released together by a barrier send the same body.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

import odoo

ODOO_BIN = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
CONFIG = os.environ.get("ODOO_RC") or os.path.join(os.path.dirname(__file__), "..", ".state", "odoo.conf")
DEMO_KEY = "lm-demo-intake-key-do-not-use-in-production"
THREADS = 12
ROUNDS = 4


def _free_port():
    if os.environ.get("LM_INTAKE_TEST_PORT"):
        return int(os.environ["LM_INTAKE_TEST_PORT"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sql(db, query):
    result = subprocess.run(["psql", "-d", db, "-tAX", "-c", query], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def _post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {DEMO_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def server():
    db = f"lm_scratch_{uuid.uuid4().hex[:8]}"
    port = _free_port()
    process = None
    log = tempfile.TemporaryFile(mode="w+")
    try:
        install = subprocess.run(
            [sys.executable, ODOO_BIN, "-c", CONFIG, "-d", db, "-i", "lead_management_api", "--stop-after-init",
             "--log-level=warn", "--http-port=0"], capture_output=True, text=True, timeout=900)
        assert install.returncode == 0, (install.stdout + install.stderr)[-5000:]
        process = subprocess.Popen(
            [sys.executable, ODOO_BIN, "-c", CONFIG, "-d", db, f"--db-filter=^{db}$", f"--http-port={port}",
             "--workers=0", "--max-cron-threads=0", "--log-level=warn"],
            stdout=subprocess.DEVNULL, stderr=log, text=True)
        base = f"http://127.0.0.1:{port}/lead_management/v1"
        for _attempt in range(120):
            try:
                with urllib.request.urlopen(base + "/openapi.json", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the Odoo server did not start")
        yield db, base
    finally:
        if process:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            log.seek(0)
            server_errors = [line for line in log.read().splitlines()
                             if " ERROR " in line or " CRITICAL " in line or "Traceback" in line]
            if not server_errors:
                subprocess.run(["dropdb", "--if-exists", db], check=False)
            assert not server_errors, "\n".join(server_errors)
        else:
            subprocess.run(["dropdb", "--if-exists", db], check=False)


def _race(url, body):
    """THREADS threads send ``body`` at the same moment; returns their (status, answer)."""
    barrier = threading.Barrier(THREADS)
    answers = [None] * THREADS

    def send(index):
        barrier.wait()
        answers[index] = _post(url, body)

    threads = [threading.Thread(target=send, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_concurrent_replays_of_one_external_id_make_one_lead(server):
    db, base = server
    for round_ in range(ROUNDS):
        external_id = f"race-{round_}"
        answers = _race(base + "/leads", {"external_id": external_id, "contact_name": "Racer",
                                          "email": f"{external_id}@race.example.com"})
        statuses = sorted(status for status, _answer in answers)
        assert statuses == [200] * (THREADS - 1) + [201], answers
        assert len({answer["id"] for _status, answer in answers}) == 1, answers
        assert _sql(db, f"SELECT count(*) FROM lead_intake_reference WHERE external_id = '{external_id}'") == "1"
        assert _sql(db, f"SELECT count(*) FROM crm_lead WHERE email_from = '{external_id}@race.example.com'") == "1"


def test_concurrent_replays_of_one_event_make_one_event(server):
    db, base = server
    status, _lead = _post(base + "/leads", {"external_id": "race-events", "email": "events@race.example.com"})
    assert status == 201
    for round_ in range(ROUNDS):
        external_id = f"race-click-{round_}"
        answers = _race(base + "/events", {"external_id": external_id, "type": "email_click",
                                           "lead_external_id": "race-events"})
        statuses = sorted(status for status, _answer in answers)
        assert statuses == [200] * (THREADS - 1) + [201], answers
        assert _sql(db, f"SELECT count(*) FROM lead_engagement_event WHERE external_id = '{external_id}'") == "1"
