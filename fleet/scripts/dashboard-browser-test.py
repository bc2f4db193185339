#!/usr/bin/python3
"""Drives the fleet dashboard in headless Chromium and checks what it shows.

Starts `outpost-fleet serve` on a scratch data directory and a free port on
127.0.0.1, seeds it through the admin CLI (publisher key, three signed package
versions with lineage, enrollment tokens, two rollouts) and the device API
(enrollment, check-ins with health, deployment events, telemetry, drift
windows), then signs in to the dashboard with the admin token and walks the
overview, devices, models/lineage, rollouts/gates, drift charts, alerts and the
audit log. One device's hardware id and labels are HTML/JS injection attempts:
the pages must show them as text and no script may run.

Needs Debian's chromium + chromium-driver + python3-selenium (scripts/setup.sh
installs them) and Debian's /usr/bin/python3 (selenium is a Debian package).

    /usr/bin/python3 fleet/scripts/dashboard-browser-test.py \
        [--fleet fleet/.build/debug/outpost-fleet] [--outpost .build/debug/outpost] [--keep]

Exit status 0 when every check passed, 1 otherwise (each failure is printed).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTILE_HW = "<script>window.__xss=1</script><img src=x onerror=\"document.title='pwned'\">"
# Long enough to read the overview and devices pages after the check-ins.
SILENT = 15
HOSTILE_LABEL = "\"><svg onload=alert(1)>"

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def first_existing(paths):
    for p in paths:
        if p and os.path.exists(p):
            return p
    return None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Fleet:
    def __init__(self, binary, base, token):
        self.binary, self.base, self.token = binary, base, token

    def cli(self, *args, expect_ok=True):
        """Runs an admin CLI subcommand with --json; returns the parsed answer."""
        cmd = [self.binary, *args, "--server", self.base, "--token", self.token, "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if expect_ok and p.returncode != 0:
            raise SystemExit(f"admin CLI failed: {' '.join(args)}: {p.stderr.strip()}")
        return json.loads(p.stdout) if p.stdout.strip() else None

    def http(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            raise SystemExit(f"{method} {path}: {e.code} {e.read().decode()[:300]}")


def build_packages(outpost, outpost_dev, work):
    key = os.path.join(work, "publisher")
    subprocess.run([outpost_dev, "keys", "generate", "--out", key], check=True, capture_output=True)
    pkgs = []
    for version, release, parent in [("1.1.0", 4, None), ("1.2.0", 5, "1.1.0"), ("1.3.0", 6, "1.2.0")]:
        out = os.path.join(work, f"tiny-{version}.opkg")
        cmd = [outpost_dev, "package", "build", "--model", os.path.join(ROOT, "models/tiny/model.onnx"), "--name", "tiny",
               "--version", version, "--release", str(release), "--reference-data", os.path.join(ROOT, "models/tiny"),
               "--key", key + ".key", "--lineage", f"training_data=s3://colours/v{release}", "-o", out]
        if parent:
            cmd += ["--lineage", f"parent_version={parent}"]
        subprocess.run(cmd, check=True, capture_output=True)
        pkgs.append(out)
    inspect = subprocess.run([outpost, "package", "inspect", pkgs[-1], "--json"], check=True, capture_output=True, text=True)
    baseline = json.loads(inspect.stdout)["drift_baseline"]
    return key + ".pub", pkgs, baseline


def seed(fleet, pub, pkgs, baseline):
    """Returns what the pages are expected to show."""
    fleet.cli("keys", "add", "--name", "browser-test", pub)
    digests = {}
    for p in pkgs:
        r = fleet.cli("models", "upload", p)
        digests[r["version"]] = r["digest"]
    t1 = fleet.cli("tokens", "create", "enrollment", "--label", "group=store-1", "--label", "note=" + HOSTILE_LABEL, "--max-uses", "10")["token"]
    t2 = fleet.cli("tokens", "create", "enrollment", "--label", "group=store-2", "--max-uses", "10")["token"]
    devices = {}
    for name, tok, hw in [("quiet", t2, "pi-quiet"), ("s1a", t1, HOSTILE_HW), ("s1b", t1, "pi-s1b"), ("s1c", t1, "pi-s1c"),
                          ("s1d", t1, "pi-s1d"), ("s2a", t2, "pi-s2a"), ("s2b", t2, "pi-s2b")]:
        _, e = fleet.http("POST", "/v1/enroll", {"token": tok, "hardware_id": hw, "agent_version": "0.1.0"})
        devices[name] = (e["device_id"], e["credential"])
    now = int(time.time())
    ev_ids = {"n": 0}

    def event(dev, version, kind, reason=None):
        ev_ids["n"] += 1
        ev = {"event_id": ev_ids["n"], "model": "tiny", "version": version, "digest": digests[version], "kind": kind, "time": now}
        if reason:
            ev["reason"] = reason
        did, cred = devices[dev]
        fleet.http("POST", f"/v1/devices/{did}/events", {"events": [ev]}, cred)

    # Rollout 1: 1.2.0 to store-2, rolls back on a breach; a self-test failure breaches it.
    r1 = fleet.cli("rollouts", "create", "--model", "tiny", "--version", "1.2.0", "--selector", "group=store-2",
                   "--stages", "100", "--soak-seconds", "0", "--on-breach", "rollback", "--gate", "min_devices=1")
    event("s2a", "1.2.0", "self_test_failed", "golden case 0 differs by 0.3 <max 1e-4>")
    fleet.cli("rollouts", "evaluate", r1["id"])
    # Rollout 2: 1.3.0 to store-1 in three stages, promoted to 100%, then paused by a breached error-rate gate.
    r2 = fleet.cli("rollouts", "create", "--model", "tiny", "--version", "1.3.0", "--selector", "group=store-1",
                   "--stages", "25,50,100", "--soak-seconds", "3600", "--gate", "min_devices=2", "--gate", "max_error_rate=0.05")
    fleet.cli("rollouts", "promote", r2["id"], "--reason", "canary looked fine")
    fleet.cli("rollouts", "promote", r2["id"], "--reason", "go wide")
    for i, dev in enumerate(["s1a", "s1b", "s1c", "s1d"]):
        event(dev, "1.3.0", "activated")
        did, cred = devices[dev]
        records = [{"seq": k + 1, "time": int(time.time()), "model": "tiny", "version": "1.3.0", "latency_us": 900 + k,
                    "status": "error" if (i == 0 and k < 20) else "ok"} for k in range(50)]
        fleet.http("POST", f"/v1/devices/{did}/telemetry", {"stream": "inference", "first_seq": 1, "last_seq": 50, "records": records}, cred)
    fleet.cli("rollouts", "evaluate", r2["id"])
    # Drift for 1.3.0 over three hourly buckets: store-1 drifts away from the baseline, store-2 stays close.
    feats = baseline["features"][:2]
    for dev, skewed in [("s1b", True), ("s2b", False)]:
        did, cred = devices[dev]
        windows = []
        for h in (2, 1, 0):
            feats_out = []
            for f in feats:
                props = f["proportions"]
                if skewed:
                    counts = [0] * len(props)
                    counts[0] = 200 * (3 - h)
                    counts[-1] = 40
                else:
                    counts = [int(round(p * 400)) for p in props]
                feats_out.append({"feature": f["name"], "counts": counts})
            windows.append({"model": "tiny", "version": "1.3.0", "window_start": now - h * 3600, "window_seconds": 600,
                            "sample_count": sum(feats_out[0]["counts"]), "features": feats_out})
        fleet.http("POST", f"/v1/devices/{did}/drift", {"windows": windows}, cred)
    return {"devices": devices, "r1": r1["id"], "r2": r2["id"], "features": [f["name"] for f in feats]}


def check_in_all(fleet, devices):
    health = {"s1a": ("failing", "self-test failed: <b>NaN</b> in output"), "s1c": ("degraded", "thermal throttling")}
    for name, (did, cred) in devices.items():
        if name == "quiet":
            continue
        status, msg = health.get(name, ("ok", None))
        h = {"status": status, "uptime_seconds": 100}
        if msg:
            h["message"] = msg
        fleet.http("POST", f"/v1/devices/{did}/checkin", {
            "agent_version": "0.1.0", "running": [], "buffer": {"pending_records": 12, "pending_bytes": 960, "evicted_records": 0},
            "health": h}, cred)


def browse(base, token, expect, shots):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from selenium.webdriver.support import expected_conditions as EC

    opts = Options()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
        opts.add_argument(a)
    opts.binary_location = first_existing(["/usr/bin/chromium", "/usr/bin/chromium-browser"]) or "chromium"
    driver = webdriver.Chrome(service=Service(first_existing(["/usr/bin/chromedriver"]) or "chromedriver"), options=opts)
    driver.set_page_load_timeout(60)
    css = lambda sel: driver.find_elements(By.CSS_SELECTOR, sel)
    text = lambda: driver.find_element(By.TAG_NAME, "body").text

    def shot(name):
        driver.save_screenshot(os.path.join(shots, name + ".png"))

    def settle(cond, seconds=20):
        """A click on a submit button returns before the next page has loaded;
        wait for the page the check is about instead of racing it."""
        try:
            WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: cond())
        except Exception:
            pass  # the check that follows reports what was seen

    def follow(by, value):
        """Clicks a link or submit button and waits until the next page has
        replaced this one (the old <html> goes stale) and finished loading."""
        old = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(by, value).click()
        try:
            WebDriverWait(driver, 30, poll_frequency=0.1).until(
                lambda d: EC.staleness_of(old)(d) and d.execute_script("return document.readyState") == "complete")
        except Exception:
            pass  # the check that follows reports what was seen

    def go(path):
        driver.get(base + path)
        shot(path.strip("/").replace("/", "_").replace("?", "_") or "root")

    try:
        devices = expect["devices"]
        # Sign-in: pages redirect to the form; a wrong token is refused; the admin token gets in.
        go("/ui/devices")
        check(driver.current_url.endswith("/ui/login"), "an unsigned request is redirected to the sign-in form")
        driver.find_element(By.ID, "token").send_keys("opa_aaaaaaaaaaaa_" + "b" * 40)
        follow(By.ID, "sign-in")
        settle(lambda: "unknown admin token" in text())
        check("unknown admin token" in text(), "a wrong admin token is refused with the reason")
        driver.find_element(By.ID, "token").send_keys(token)
        follow(By.ID, "sign-in")
        settle(lambda: driver.current_url.rstrip("/").endswith("/ui") and "Fleet overview" in driver.title)
        check(driver.current_url.rstrip("/").endswith("/ui") and "Fleet overview" in driver.title, "the admin token signs in to the overview")
        check(all(c["name"] != "outpost_admin" or c.get("httpOnly") for c in driver.get_cookies()), "the session cookie is HttpOnly")
        shot("overview")

        # Overview
        card = driver.find_element(By.ID, "card-devices").text
        check(card.split("\n")[0].strip() == str(len(devices)), f"overview counts {len(devices)} devices (shows {card!r})")
        check("1 silent" in card, f"overview counts the silent device ({card!r})")
        alerts_card = driver.find_element(By.ID, "card-alerts").text
        check(int(alerts_card.split("\n")[0]) >= 5, f"overview shows the alerts count ({alerts_card!r})")
        check(expect["r2"] in text(), "overview lists the active (paused) rollout")
        check(len(css("svg.bars rect.bar")) == 5, "overview draws the devices-by-health chart")

        # Devices: hostile text is shown as text, nothing runs.
        follow(By.ID, "nav-devices")
        shot("devices")
        rows = css("#devices tbody tr")
        check(len(rows) == len(devices), f"devices page lists {len(devices)} devices (found {len(rows)})")
        s1a = driver.find_element(By.ID, "device-" + devices["s1a"][0]).text
        check(HOSTILE_HW in s1a, "the hostile hardware id is displayed literally")
        check(HOSTILE_LABEL in s1a, "the hostile label is displayed literally")
        check(driver.execute_script("return window.__xss === undefined"), "no injected script ran")
        check(driver.title != "pwned" and len(css("main img")) == 0 and len(css("main script")) == 0, "no injected element exists")
        check("failing" in s1a and "self-test failed: <b>NaN</b> in output" in s1a, "the failing device shows its health message as text")
        quiet = driver.find_element(By.ID, "device-" + devices["quiet"][0]).text
        check("(silent)" in quiet and "never" in quiet, "the device that never checked in is marked silent")
        follow(By.LINK_TEXT, devices["s2a"][0])
        shot("device")
        check("self_test_failed" in text() and "golden case 0 differs by 0.3 <max 1e-4>" in text(), "the device page lists its deployment events")

        # Models and lineage
        follow(By.ID, "nav-models")
        follow(By.LINK_TEXT, "tiny")
        shot("model")
        deep = css("#lineage ul li ul li ul li .node")
        check(len(deep) == 1 and deep[0].text == "1.3.0", "lineage tree nests 1.1.0 > 1.2.0 > 1.3.0")
        check(len(css("#versions tbody tr")) == 3 and "s3://colours/v6" in text(), "the versions table shows 3 versions with lineage")

        # Rollouts: progress and gate values
        follow(By.ID, "nav-rollouts")
        shot("rollouts")
        r1row = driver.find_element(By.ID, "rollout-" + expect["r1"]).text
        r2row = driver.find_element(By.ID, "rollout-" + expect["r2"]).text
        check("rolled_back" in r1row, f"rollout 1 shows rolled_back ({r1row!r})")
        check("paused" in r2row, f"rollout 2 shows paused ({r2row!r})")
        follow(By.LINK_TEXT, expect["r2"])
        shot("rollout")
        svg = css("svg.stages")
        check(len(svg) == 1 and svg[0].get_attribute("data-stage") == "3" and len(css("svg.stages g.stage.done")) == 2,
              "stage progress shows stage 3 of 3 with two done")
        gate = driver.find_element(By.CSS_SELECTOR, "tr.gate[data-gate='inference error rate']").text
        check("20 of 200 records" in gate and "breach" in gate, f"the error-rate gate shows 20 of 200 and a breach ({gate!r})")
        check("4 of 4 devices in this stage reporting" in driver.find_element(By.ID, "reporting").text, "4 of 4 devices reporting")
        check("inference error rate 20/200" in driver.find_element(By.ID, "state").find_element(By.XPATH, "..").text, "the pause reason names the gate")
        check("rollout.promote" in driver.find_element(By.ID, "history").text and "go wide" in text(), "the history lists the promotions with reasons")

        # Drift charts
        follow(By.ID, "nav-drift")
        follow(By.PARTIAL_LINK_TEXT, "tiny 1.3.0")
        shot("drift")
        charts = css("svg.chart")
        check(len(charts) == len(expect["features"]), f"one drift chart per feature ({len(charts)})")
        lines = css("svg.chart polyline")
        check(len(lines) == 2 * len(expect["features"]), f"one line per label group per feature ({len(lines)})")
        check(len(css("svg.chart circle")) == 2 * 3 * len(expect["features"]), "three time buckets per line")
        check(len(css("svg.chart line.threshold")) == len(expect["features"]), "the PSI threshold is drawn")
        check("group store-1" in text() and "group store-2" in text(), "the legend names both groups")

        # Alerts
        follow(By.ID, "nav-alerts")
        shot("alerts")
        kinds = {r.get_attribute("data-kind") for r in css("#alerts tbody tr")}
        for k in ["rollout_paused", "rollout_rolled_back", "device_failing", "device_degraded", "device_silent", "deployment_failed", "drift"]:
            check(k in kinds, f"alerts page shows a {k} alert")
        check("group store-2" not in " ".join(r.text for r in css("#alerts tr[data-kind='drift']")), "no drift alert for the group that matches its baseline")

        # Audit log
        follow(By.ID, "nav-audit")
        shot("audit")
        audit = driver.find_element(By.ID, "audit").text
        for a in ["dashboard.login", "package.upload", "rollout.create", "rollout.promote", "rollout.evaluate", "device.enroll", "publisher_key.add"]:
            check(a in audit, f"audit log shows {a}")

        # Sign out ends the session.
        follow(By.ID, "sign-out")
        go("/ui/rollouts")
        check(driver.current_url.endswith("/ui/login"), "after signing out, pages redirect to the sign-in form")
    finally:
        driver.quit()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fleet", help="outpost-fleet binary (default fleet/.build/{debug,release}/outpost-fleet)")
    ap.add_argument("--outpost", help="outpost CLI, to inspect packages (default .build/{release,debug}/outpost)")
    ap.add_argument("--outpost-dev", help="outpost-dev, to sign and build packages (default: next to the outpost CLI)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (data, screenshots)")
    args = ap.parse_args()
    fleet_bin = args.fleet or first_existing([os.path.join(ROOT, "fleet/.build/debug/outpost-fleet"), os.path.join(ROOT, "fleet/.build/release/outpost-fleet")])
    outpost = args.outpost or first_existing([os.path.join(ROOT, ".build/release/outpost"), os.path.join(ROOT, ".build/debug/outpost")])
    if not fleet_bin or not os.path.exists(fleet_bin):
        sys.exit("no outpost-fleet binary: run `cd fleet && swift build` or give --fleet")
    if not outpost or not os.path.exists(outpost):
        sys.exit("no outpost CLI to inspect packages: run `swift build --product outpost` or give --outpost")
    outpost_dev = args.outpost_dev or os.path.join(os.path.dirname(outpost), "outpost-dev")
    if not os.path.exists(outpost_dev):
        sys.exit("no outpost-dev to build packages: run `swift build --product outpost-dev` or give --outpost-dev")
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"]:
        if not os.path.exists(tool):
            sys.exit(f"{tool} is missing: apt-get install chromium chromium-driver python3-selenium (scripts/setup.sh)")

    work = tempfile.mkdtemp(prefix="fleet-browser-")
    shots = os.path.join(work, "screenshots")
    os.makedirs(shots)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(os.path.join(work, "fleet.json"), "w") as f:
        json.dump({"port": port, "data_dir": os.path.join(work, "data"), "silent_after_seconds": SILENT, "check_in_seconds": 60}, f)
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([fleet_bin, "serve", "--config", os.path.join(work, "fleet.json"), "--log-level", "warning"],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + "/v1/health", timeout=2):
                    break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"the server exited with {server.returncode}; see {work}/server.log")
                time.sleep(0.1)
        token = open(os.path.join(work, "data", "admin-token")).read().strip()
        fleet = Fleet(fleet_bin, base, token)
        pub, pkgs, baseline = build_packages(outpost, outpost_dev, work)
        started = time.time()
        expect = seed(fleet, pub, pkgs, baseline)
        # The "quiet" device (enrolled first) never checks in: after silent_after_seconds
        # it is silent; the others check in just before the pages are read, and the
        # pages that count silent devices come first.
        time.sleep(max(0.0, SILENT + 0.5 - (time.time() - started)))
        check_in_all(fleet, expect["devices"])
        browse(base, token, expect, shots)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        print(f"scratch directory: {work}" + ("" if args.keep else " (removed; --keep keeps it)"))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    check(server.returncode == 0, f"the server shut down cleanly on SIGTERM (status {server.returncode})")
    if failures:
        print(f"{len(failures)} check(s) failed:")
        for f in failures:
            print("  " + f)
        sys.exit(1)
    print("dashboard browser test: all checks passed")


if __name__ == "__main__":
    main()
