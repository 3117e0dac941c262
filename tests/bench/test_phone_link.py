"""The phone-link benchmark runs end to end at a tiny size, so it cannot rot.

No timing is asserted (that is `bench/`'s job): the run itself waits for the
app's first `synccomplete` through the shaped link, over HTTPS/HTTP2 through
nginx and over plain HTTP/1.1, and fetches the floor's parts.
"""

import re

import pytest

from tests.bench.runner import run_bench


@pytest.mark.once
def test_phone_link_benchmark_runs_over_both_ways_in():
    result = run_bench("bench.phone_link", "--products", "300", "--runs", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    for way in ("https", "http"):  # each way in synced the whole catalogue: 40 categories, 294 visible products
        run = rf"^  {way}: {{'syncMs': [\d.]+, 'bytes': \d+, 'upserts': 334,"
        assert re.search(run, result.stdout, re.MULTILINE), result.stdout
    assert len(re.findall(r"^Fast 4G \(8\.1 Mbit/s", result.stdout, re.MULTILINE)) == 4, result.stdout
