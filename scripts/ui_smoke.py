"""A UI smoke test a person can rerun: the main job on a small window, `dagster dev`, the main
pages in a headless browser, a screenshot of each.

    python3 -m venv /tmp/pw && /tmp/pw/bin/pip install playwright   # once; Chromium from the OS
    /tmp/pw/bin/python scripts/ui_smoke.py [--out ui-shots] [--chromium /usr/bin/chromium]

It runs, from the repository root and with the project's `.venv` (the README's first command
makes it): `energy-assets run` for CAISO 2020-07-01..2020-08-10 and PJM 2019-05-01..06-10 into a
temporary data folder and Dagster home, then `dagster dev` on them, opens the global lineage, a
raw feed's partitions, a forecast's page, the load report's page and the runs, saves one PNG per
page under `--out`, prints what each page says it holds, and stops `dagster dev` (its whole
process group). Exit status 1 when a page lacks what it should show. Not part of CI (it needs a
browser); the README shows two of its screenshots.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
PORT = 3344
BASE = f"http://127.0.0.1:{PORT}"

# page -> (path, what its text must contain)
PAGES = {
    "lineage": ("/asset-groups/", ["raw", "harmonized", "forecasts"]),
    "raw_partitions": ("/assets/raw/eia930_region_data?view=partitions", ["ERCOT", "PJM", "BPA"]),
    "forecast": ("/assets/forecasts/load_day_ahead", ["demand_p50_mw", "Materialize"]),
    "report": ("/assets/evaluation/load_forecast_report", ["results", "ensemble"]),
    "runs": ("/runs", ["ingest_job", "day_ahead_job"]),
}


def _main_job(env: dict[str, str]) -> None:
    python = REPO / ".venv" / "bin" / "python"
    for region, start, end in (
        ("CAISO", "2020-07-01", "2020-08-10"),
        ("PJM", "2019-05-01", "2019-06-10"),
    ):
        subprocess.run(
            [str(python), "-m", "energy_assets.cli", "run", "--region", region]
            + ["--start", start, "--end", end],
            cwd=REPO,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def _wait_for(url: str, timeout_s: float) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer in {timeout_s:.0f} s")


def _skip_first_load_modal(page) -> None:
    button = page.get_by_role("button", name="Skip")
    if button.count() and button.first.is_visible():
        button.first.click()
        page.wait_for_timeout(500)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="ui-shots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="energy-assets-ui-"))
    env = {**os.environ, "DAGSTER_HOME": str(work), "ENERGY_ASSETS_DATA": str(work / "data")}
    # the project's instance settings, with its storage in the temporary folder
    settings = (
        (REPO / "dagster.yaml").read_text().replace("base_dir: data/", f"base_dir: {work}/data/")
    )
    (work / "dagster.yaml").write_text(settings)
    print(f"main job on a small window into {work} ...", flush=True)
    _main_job(env)
    dev = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "dagster"), "dev", "-p", str(PORT)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, stopped as one
    )
    missing: list[str] = []
    try:
        _wait_for(f"{BASE}/server_info", 180)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(30_000)
            for name, (path, expected) in PAGES.items():
                page.goto(BASE + path, wait_until="domcontentloaded")
                page.wait_for_timeout(6000)
                _skip_first_load_modal(page)
                page.wait_for_timeout(1500)
                page.screenshot(path=str(out / f"{name}.png"))
                text = page.inner_text("body")
                absent = [e for e in expected if e not in text]
                missing += [f"{name}: {e}" for e in absent]
                print(f"{name}: {out / (name + '.png')} {absent or 'ok'}")
            browser.close()
    finally:
        os.killpg(dev.pid, signal.SIGTERM)
        try:
            dev.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
    if missing:
        print("pages lacking what they should show: " + "; ".join(missing))
        return 1
    print(f"every page shows what it should; screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
