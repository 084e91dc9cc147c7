"""The trip state machine of domain.md §5: every allowed and every forbidden transition."""

from __future__ import annotations

import itertools

import pytest

from cuakhau.core.errors import Conflict
from cuakhau.declarations.lifecycle import Action, TripState, allowed_actions, next_state

S, A = TripState, Action

# The specification, written out by hand from domain.md §5 (not derived from the code).
EXPORT = {
    (S.DRAFT, A.SUBMIT): S.DECLARED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.DECLARED, A.CHECK_IN): S.ARRIVED,
    (S.DECLARED, A.CANCEL): S.CANCELLED,
    (S.ARRIVED, A.CALL): S.CALLED,
    (S.ARRIVED, A.HOLD): S.HELD,
    (S.ARRIVED, A.REFUSE): S.REFUSED,
    (S.CALLED, A.NO_SHOW): S.ARRIVED,
    (S.CALLED, A.ENTER_CONTROL): S.AT_GATE,
    (S.CALLED, A.HOLD): S.HELD,
    (S.CALLED, A.REFUSE): S.REFUSED,
    (S.AT_GATE, A.CLEAR): S.CLEARED,
    (S.AT_GATE, A.HOLD): S.HELD,
    (S.AT_GATE, A.REFUSE): S.REFUSED,
    (S.HELD, A.REFUSE): S.REFUSED,
    (S.CLEARED, A.DEPART): S.DEPARTED,
}
IMPORT = {
    (S.DRAFT, A.SUBMIT): S.DECLARED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.DECLARED, A.CHECK_IN): S.ENTERED,
    (S.DECLARED, A.CANCEL): S.CANCELLED,
    (S.ENTERED, A.ENTER_CONTROL): S.AT_GATE,
    (S.ENTERED, A.HOLD): S.HELD,
    (S.ENTERED, A.REFUSE): S.REFUSED,
    (S.AT_GATE, A.CLEAR): S.CLEARED,
    (S.AT_GATE, A.HOLD): S.HELD,
    (S.AT_GATE, A.REFUSE): S.REFUSED,
    (S.HELD, A.REFUSE): S.REFUSED,
    (S.CLEARED, A.DEPART): S.DEPARTED,
}
SPEC = {"export": EXPORT, "import": IMPORT}
ALL = list(itertools.product(SPEC, TripState, Action))


@pytest.mark.parametrize(("direction", "state", "action"), ALL)
def test_every_transition_is_allowed_exactly_when_the_spec_says(direction, state, action):
    expected = SPEC[direction].get((state, action))
    if action is A.RELEASE:
        # RELEASE is allowed from HELD only, back to where the hold came from.
        expected = S.AT_GATE if state is S.HELD else None
    if expected is None:
        with pytest.raises(Conflict) as refused:
            next_state(direction, state, action, held_from=S.AT_GATE)
        assert refused.value.code == "transition_not_allowed"
        assert refused.value.message.vi and refused.value.message.en and refused.value.message.zh
    else:
        assert next_state(direction, state, action, held_from=S.AT_GATE).after is expected


@pytest.mark.parametrize(
    ("direction", "held_from"),
    [
        ("export", S.ARRIVED),
        ("export", S.CALLED),
        ("export", S.AT_GATE),
        ("import", S.ENTERED),
        ("import", S.AT_GATE),
    ],
)
def test_a_hold_remembers_where_the_trip_returns_on_release(direction, held_from):
    hold = next_state(direction, held_from, A.HOLD)
    assert (hold.after, hold.held_from) == (S.HELD, held_from)
    assert next_state(direction, S.HELD, A.RELEASE, held_from=hold.held_from).after is held_from


def test_release_without_a_remembered_state_is_refused():
    with pytest.raises(Conflict):
        next_state("export", S.HELD, A.RELEASE, held_from=None)


def test_terminal_states_allow_nothing():
    for direction in SPEC:
        for state in (S.DEPARTED, S.REFUSED, S.CANCELLED):
            assert allowed_actions(direction, state) == []


def test_an_unknown_direction_allows_nothing():
    assert allowed_actions("transit", S.DRAFT) == []


def test_refusal_message_names_the_action_and_the_state():
    with pytest.raises(Conflict) as refused:
        next_state("export", S.DEPARTED, A.CHECK_IN)
    assert "Departed" in refused.value.message.en
    assert "check in" in refused.value.message.en
    assert "Đã rời cửa khẩu" in refused.value.message.vi
