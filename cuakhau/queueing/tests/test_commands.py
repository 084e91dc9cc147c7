"""The console commands behind the schedule: ``cuakhau dispatch`` and ``cuakhau worker``."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cuakhau.declarations.models import Trip
from cuakhau.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_dispatch_calls_and_says_why_others_wait(declare, check_in):
    codes = declare(2)
    for code in codes:
        check_in(code)
    out = io.StringIO()
    call_command("dispatch", stdout=out)
    assert set(Trip.objects.filter(code__in=codes).values_list("state", flat=True)) == {"CALLED"}
    lines = out.getvalue().splitlines()
    line = next(line for line in lines if codes[0] in line)
    assert "2 waiting, 2 called" in line and "green_lane" in line


def test_one_worker_round_dispatches_and_delivers(declare, check_in):
    code = declare(1)[0]
    check_in(code)
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert Trip.objects.get(code=code).state == "CALLED"
    sms = OutboxMessage.objects.get(kind="trip.called", channel="sms")
    assert sms.status == "delivered"  # the default SMS adapter logs it
    assert "dispatch: 1 called" in out.getvalue()
    assert "notifications: delivered 1" in out.getvalue()
