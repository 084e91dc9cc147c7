"""The real browser the page tests drive: Debian's chromium through Playwright's sync API.

Test modules use the ``browser`` fixture (defined in ``cuakhau/conftest.py`` from
``launch_chromium`` here) and mark themselves with ``BROWSER_TEST``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

BROWSER_TEST = [
    pytest.mark.browser,
    # The live server runs in another thread: the data must be committed, and the reference
    # data the migrations seeded must come back after each test's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """A headless chromium, to be started after the test database is ready.

    Playwright's sync API runs an event loop (in greenlets) in this thread: Django then sees
    another context, with connections of its own. The database is therefore set up (and its
    seeded reference data restored) before the browser starts, and the connections the test
    opened in Playwright's context are closed before it stops.
    """
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        # Not a skip: a page test that does not run is a check that silently went missing.
        pytest.fail("Debian's chromium is not installed: run `make system-packages`")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield chromium
            finally:
                chromium.close()
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
