"""The pictures benchmark runs end to end at a tiny size, so it cannot rot.

No timing is asserted (that is `bench/`'s job): the run itself waits for the
app's first sync, flings the list with and without thumbnails, and has the
app fetch every thumbnail ahead through the phone-link proxy.
"""

import re

import pytest

from tests.bench.runner import run_bench


@pytest.mark.once  # the client's behaviour: the database only seeds the records
def test_pictures_benchmark_runs():
    result = run_bench("bench.pictures", "--products", "300", "--runs", "1", "--seconds", "1")

    assert result.returncode == 0, result.stderr
    assert re.search(r"frames dropped in a 120 px/frame fling, thumbnails on\s+\d", result.stdout), result.stdout
    fetched = re.search(r"`all`: bytes per 1,000 products \(demo: drawings shared\)\s+([\d,]+) bytes", result.stdout)
    assert fetched, result.stdout
    assert int(fetched.group(1).replace(",", "")) > 0  # it fetched thumbnails ahead
