"""The twin and the live dispatcher make the same calls from the same state.

The twin keeps its queue as heaps (``engine.TwinQueue``) and hands them to the policy's ``admit``
in the policy's order; the live dispatcher sorts the database's queue and calls ``choose_calls``.
On random states, and on a real passage in the database, both call the same trucks, in the
same order, with the same rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from cuakhau.core.actors import Actor
from cuakhau.gates.models import CapacityPlan, PartnerQuota, WorkingHours
from cuakhau.queueing import services
from cuakhau.queueing.capacity import capacity_now, policy_config
from cuakhau.queueing.models import CallUp
from cuakhau.queueing.policy import Decision, choose_calls
from cuakhau.queueing.tests.test_policy import capacities, situations
from cuakhau.twin.engine import TwinQueue


def _calls(decision_calls):
    return [(call.trip_id, call.rule, call.key) for call in decision_calls]


def twin_queue(trucks, config, *, grouped):
    queue = TwinQueue(config, grouped=grouped)
    for truck in trucks:
        queue.push(truck)
    return queue


@settings(max_examples=400, deadline=None)
@given(situations(), st.booleans())
def test_the_twins_queue_calls_what_the_live_policy_calls(situation, grouped):
    trucks, capacity, now, config = situation
    live: Decision = choose_calls(trucks, capacity, now, config)
    queue = twin_queue(trucks, config, grouped=grouped)

    twin = queue.call(capacity, now)

    assert _calls(twin) == _calls(live.calls)
    called = {call.trip_id for call in twin}
    assert sorted(t.trip_id for t in queue.trucks()) == sorted(
        t.trip_id for t in trucks if t.trip_id not in called
    )
    assert len(queue) == len(trucks) - len(called)


@settings(max_examples=200, deadline=None)
@given(situations(), capacities, st.floats(0, 3 * 3600), st.booleans())
def test_successive_cycles_agree_too(situation, second_capacity, later, grouped):
    """The twin keeps its heaps between cycles: the second cycle must still match the live
    policy run afresh on the trucks left."""
    trucks, capacity, now, config = situation
    queue = twin_queue(trucks, config, grouped=grouped)
    first = {call.trip_id for call in queue.call(capacity, now)}
    left = [t for t in trucks if t.trip_id not in first]

    twin = queue.call(second_capacity, now + later)

    assert _calls(twin) == _calls(choose_calls(left, second_capacity, now + later, config).calls)


@pytest.mark.django_db
def test_the_twin_and_the_live_dispatcher_call_the_same_trucks_from_a_real_passage(
    declare, check_in, gate_operator
):
    """A passage with ordinary and green trucks, an out-of-turn priority and a partner quota
    on fruit: the twin, started from the database's state, calls what ``dispatch_passage``
    then calls, in the same order and by the same rules."""
    WorkingHours.objects.all().delete()  # open around the clock, whatever the hour of the test
    steel = declare(3, green=False)
    fruit = declare(3)
    for code in [steel[0], steel[1], fruit[0], steel[2], fruit[1], fruit[2]]:
        check_in(code)
    capacity_plan = CapacityPlan.objects.select_related("passage").get(
        passage__code="HN-1119", direction="export"
    )
    capacity_plan.control_area_room = 4
    capacity_plan.save()
    services.queue_prioritise(
        actor=Actor.of(gate_operator), trip_code=steel[2], reason="Hàng y tế khẩn cấp"
    )
    now = timezone.now() + timedelta(seconds=5)
    PartnerQuota.objects.create(
        gate_id=capacity_plan.passage.gate_id,
        direction="export",
        day=timezone.localdate(now),
        goods_group="fruit",
        trucks=2,
    )

    seen = capacity_now(capacity_plan, now)
    trucks = services.waiting_trucks(capacity_plan.passage_id, "export")
    queue = twin_queue(trucks, policy_config(), grouped=True)
    twin = queue.call(seen.capacity, now.timestamp())

    result = services.dispatch_passage(
        actor=Actor.of(gate_operator),
        passage_id=capacity_plan.passage_id,
        direction="export",
        now=now,
    )

    assert _calls(twin) == _calls(result.decision.calls)
    recorded = list(CallUp.objects.order_by("pk").values_list("trip_id", "rule"))
    assert recorded == [(call.trip_id, call.rule.value) for call in twin]
    # The case is not trivial: the override went first, the green lane passed the steel, and
    # the room (4) stopped the walk with the quota (2 fruit) spent.
    codes = dict(CallUp.objects.values_list("trip_id", "trip__code"))
    assert codes[twin[0].trip_id] == steel[2]
    assert [call.rule.value for call in twin] == ["override", "green_lane", "green_lane", "queue"]
