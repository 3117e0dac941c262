"""The PWA initial-sync benchmark runs end to end at a tiny size, so it cannot rot.

No timing is asserted (that is `bench/`'s job): the run itself waits for the
app's `synccomplete` and a search answered from the replica.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pwa_sync_benchmark_runs():
    result = subprocess.run(
        [sys.executable, "-m", "bench.pwa_sync", "--products", "200", "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\s+200\s+\d", result.stdout, re.MULTILINE), result.stdout
