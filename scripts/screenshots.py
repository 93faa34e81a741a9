#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The screenshots of the Apps page (lead_management/static/description/*.png), taken from the demo of `make run`.

    make run                     # in another terminal: the demo database on http://localhost:8069
    python3 scripts/screenshots.py [--url http://localhost:8069] [--db lead_management]

Each is the page a demo user sees (their login is their password), after clicking what the page needs (a tab), in a
headless Chromium of 1440 × 900; then scripts/readme.sh regenerates README.rst and index.html with them.
"""
import argparse
import base64
import json
import os
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import websocket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOTS = [
    # file, login, path, what to click first (CSS selector), or None
    ("qualification_queue.png", "qualifier", "/odoo/action-lead_management.crm_lead_action_qualification_queue",
     None),
    ("lead_form_score.png", "leadmanager", "/odoo/action-lead_management.crm_lead_action_qualification_queue/{lead}",
     ".o_notebook a[name='lead_scoring']"),
    ("sla_list.png", "qualifier",
     "/odoo/action-lead_management.crm_lead_action_qualification_queue?view_type=list", None),
    ("dashboard.png", "leadmanager", "/odoo/action-lead_management.lead_management_dashboard_action", None),
    ("campaign_roi.png", "leadmanager", "/odoo/action-lead_management.lead_campaign_report_action", None),
]


def session(url, db, login):
    request = urllib.request.Request(url + "/web/session/authenticate", data=json.dumps(
        {"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": login}}).encode(),
        headers={"Content-Type": "application/json"})
    response = urllib.request.urlopen(request)
    body = json.load(response)
    if body.get("error"):
        raise SystemExit(f"login {login} failed: {body['error']}")
    cookie = next(c for c in response.headers.get_all("Set-Cookie") if c.startswith("session_id="))
    return cookie.split("=", 1)[1].split(";")[0]


def demo_lead(url, db, session_id):
    """The id of the demo lead whose score is explained on the form (the A lead of the demo story)."""
    request = urllib.request.Request(url + "/web/dataset/call_kw", data=json.dumps({
        "jsonrpc": "2.0", "params": {
            "model": "crm.lead", "method": "search_read",
            "args": [[["grade_id.name", "=", "A"], ["type", "=", "lead"]]],
            "kwargs": {"fields": ["id"], "limit": 1, "order": "lead_score desc"}}}).encode(),
        headers={"Content-Type": "application/json", "Cookie": f"session_id={session_id}"})
    return json.load(urllib.request.urlopen(request))["result"][0]["id"]


def shoot(url, session_id, path, out, click, port=9334, width=1440, height=900):
    profile = tempfile.mkdtemp()
    browser = subprocess.Popen(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                                f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
                                f"--window-size={width},{height}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _attempt in range(100):
            try:
                tabs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
                break
            except OSError:
                time.sleep(0.1)
        page = next(tab for tab in tabs if tab["type"] == "page")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"])
        counter = [0]

        def send(method, **params):
            counter[0] += 1
            ws.send(json.dumps({"id": counter[0], "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == counter[0]:
                    return message

        send("Network.enable")
        send("Network.setCookie", name="session_id", value=session_id,
             domain=urllib.parse.urlparse(url).hostname, path="/")
        send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        send("Page.navigate", url=url + path)
        time.sleep(12)
        if click:
            # The tab opened, scrolled to the top of the page
            send("Runtime.evaluate",
                 expression=f"const tab = document.querySelector({json.dumps(click)}); tab.click(); "
                            "tab.scrollIntoView({block: 'start'});")
            time.sleep(3)
        shot = send("Page.captureScreenshot", format="png")
        with open(out, "wb") as handle:
            handle.write(base64.b64decode(shot["result"]["data"]))
        print("saved", out)
    finally:
        browser.terminate()
        browser.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="lead_management")
    args = parser.parse_args()
    folder = os.path.join(ROOT, "lead_management", "static", "description")
    lead = None
    for name, login, path, click in SHOTS:
        session_id = session(args.url, args.db, login)
        if "{lead}" in path:
            lead = lead or demo_lead(args.url, args.db, session_id)
            path = path.format(lead=lead)
        shoot(args.url, session_id, path, os.path.join(folder, name), click)


if __name__ == "__main__":
    main()
