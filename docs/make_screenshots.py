"""Screenshots of the demo report for the docs: ``docs/report-en.png`` and ``report-ar.png``.

Runs the real path -- ``marsad demo`` (simulate, ingest, census, report) into a
scratch workspace -- and photographs each report in headless Chromium (Debian's
``chromium`` and ``chromedriver``)::

    .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import chromium, full_page_png  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        ws = Path(scratch) / "ws"
        subprocess.run(
            [sys.executable, "-m", "marsad.cli", "demo", "-w", str(ws)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for lang in ("en", "ar"):
            with chromium(width=1280, height=900) as driver:
                driver.get((ws / f"report-{lang}.html").as_uri())
                shot = full_page_png(driver, ROOT / "docs" / f"report-{lang}.png", max_height=2600)
                print(f"wrote {shot.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
