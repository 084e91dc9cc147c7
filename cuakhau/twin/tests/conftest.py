"""The queue's builders (export trucks checked in at Xuân Cương) for the twin's tests against
the live dispatcher."""

from cuakhau.queueing.tests.conftest import (  # noqa: F401 — fixtures, used by name
    check_in,
    declare,
)
