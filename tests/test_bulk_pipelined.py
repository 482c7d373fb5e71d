"""bulk.pipelined: pages overlap, results come in page order, and when an item raises (a
cancelled job, "stop at the first object that exists") what has not started never runs."""

from __future__ import annotations

import threading
import time

import pytest

from buckets.jobs import bulk


def test_results_come_page_by_page_in_order():
    pages = [(n, list(range(n * 10, n * 10 + 10))) for n in range(5)]
    got = list(bulk.pipelined(iter(pages), lambda i: i * 2, width=4, depth=3))
    assert got == [(n, [i * 2 for i in items]) for n, items in pages]


@pytest.mark.django_db
def test_an_item_that_raises_stops_the_rest_of_its_page_and_the_pages_after():
    ran: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> int:
        with lock:
            ran.append(i)
        if i == 0:
            raise RuntimeError("stop here")
        time.sleep(0.05)
        return i

    pages = iter([(0, list(range(50))), (1, list(range(50, 100)))])
    with pytest.raises(RuntimeError, match="stop here"):
        list(bulk.pipelined(pages, work, width=2, depth=2))
    assert len(ran) <= 4, ran  # the items already running finish; the other 96 never start
