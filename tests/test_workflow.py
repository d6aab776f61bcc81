"""The lifecycle table on its own: no database, every sequence of actions.

Property: whatever actions anyone tries, in any order, the case only ever moves
along rows of the table, final states stay final, and the only ways out of
"resolved" are the resident's verdict.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from grassroots.cases.workflow import (
    ASSIGNEE,
    COORDINATORS,
    FINAL,
    LEAD,
    LEGS,
    OPEN,
    REGISTRY,
    REPORTER,
    TRANSITIONS,
    Action,
    Status,
    allowed,
    next_status,
    transition_for,
)

EVERYONE = sorted(
    COORDINATORS | {LEAD, ASSIGNEE, REPORTER, "volunteer", "resident", "patroller", "unitcontact"}
)
OUTCOMES = [None, LEAD, ASSIGNEE, "satisfied", "basic", "unsatisfied"]


def test_every_status_is_open_or_final_and_never_both():
    assert set(Status.values) == OPEN | FINAL
    assert not OPEN & FINAL


def test_every_action_of_the_api_is_in_the_table():
    api_actions = {
        "register",
        "reject",
        "merge",
        "dispatch",
        "whistle",
        "acknowledge",
        "resolve",
        "verify",
        "close",
        "reopen",
        "urge",
        "escalate",
        "extend",
        "note",
    }
    assert api_actions <= {transition.action for transition in TRANSITIONS}


def test_no_action_leaves_a_final_state_except_reopening_a_closed_case():
    """A final case may still get a public summary (it keeps its status); only reopening moves one."""
    for status in FINAL:
        moving = {
            t.action for t in TRANSITIONS if status in t.sources and t.next_status(status, None) != status
        }
        assert moving == ({Action.REOPEN} if status == Status.CLOSED else set())
        keeping = {t.action for t in TRANSITIONS if status in t.sources} - moving
        assert keeping <= {Action.PUBLISH}


def test_only_the_legs_urge_and_decide_extensions():
    for action in (Action.URGE, Action.DECIDE_EXTENSION):
        for who in EVERYONE:
            expected = who in LEGS
            assert allowed(action, Status.DISPATCHED, {who}) is expected, (action, who)


def test_a_supporter_cannot_report_done_but_the_lead_can():
    assert not allowed(Action.RESOLVE, Status.ACKNOWLEDGED, {ASSIGNEE})
    assert allowed(Action.RESOLVE, Status.ACKNOWLEDGED, {ASSIGNEE, LEAD})


def test_the_lead_acknowledging_starts_the_work_a_supporter_does_not():
    assert next_status(Action.ACKNOWLEDGE, Status.DISPATCHED, outcome=LEAD) == Status.ACKNOWLEDGED
    assert next_status(Action.ACKNOWLEDGE, Status.DISPATCHED, outcome=ASSIGNEE) == Status.DISPATCHED


def test_the_call_back_verdicts():
    assert next_status(Action.VERIFY, Status.RESOLVED, outcome="satisfied") == Status.VERIFIED
    assert next_status(Action.VERIFY, Status.RESOLVED, outcome="basic") == Status.VERIFIED
    assert next_status(Action.VERIFY, Status.RESOLVED, outcome="unsatisfied") == Status.DISPATCHED


steps = st.lists(
    st.tuples(st.sampled_from(sorted(REGISTRY)), st.sampled_from(EVERYONE), st.sampled_from(OUTCOMES)),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(steps)
def test_any_sequence_of_attempts_follows_the_table(attempts):
    status = Status.REPORTED
    for action, who, outcome in attempts:
        if not allowed(action, status, {who}):
            continue
        transition = transition_for(action, status)
        after = next_status(action, status, outcome=outcome)
        assert transition is not None and who in transition.who
        if transition.target is not None:
            assert after == transition.target
        if status in FINAL and after != status:
            assert (status, action, after) == (Status.CLOSED, Action.REOPEN, Status.DISPATCHED)
        if status == Status.RESOLVED and after != status:
            assert action == Action.VERIFY
        if after == Status.CLOSED:
            assert status == Status.VERIFIED
        status = after
    assert status in set(Status.values)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(Status.values)), st.sampled_from(sorted(REGISTRY)))
def test_a_disallowed_action_never_moves_the_case(status, action):
    if transition_for(action, status) is None:
        try:
            next_status(action, status)
        except ValueError:
            return
        raise AssertionError(f"{action} from {status} should have been refused")
