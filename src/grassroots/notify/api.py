"""What other apps call to have people told about something: the notify app's public surface."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

logger = logging.getLogger("grassroots.notify")

_muted: ContextVar[bool] = ContextVar("grassroots_notify_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """Tell nobody about the case events committed inside this block (bulk imports, the demo's history).

    Put it outside the transaction: case events are announced when the outermost
    transaction commits, and that must happen while the block is still open.
    """
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def case_event_recorded(event_id: int) -> None:
    """A case event was committed: write the messages it calls for and queue their delivery.

    Called by cases.services after commit. It never raises into the caller: the action
    is already recorded, and a failure to notify must not look like its failure.
    """
    from grassroots.notify.services import notify_case_event

    if _muted.get():
        return
    try:
        notify_case_event(event_id)
    except Exception:
        logger.exception("could not write the messages for case event %s", event_id)


def case_overdue(case_id: int) -> None:
    """A case has just become overdue (claimed by the sweep): tell the legs.

    Runs inside the sweep's transaction, so that the claim and the messages stand or fall together.
    """
    from grassroots.notify.services import notify_case_overdue

    notify_case_overdue(case_id)


def activity_announced(*, activity_id: int, kind: str, person_ids, note: str = "") -> None:
    """An activity was cancelled or changed, or someone got a place: tell the people concerned.

    Called after the activity's commit; like case events it never raises into the caller.
    """
    from grassroots.notify.services import notify_activity

    if _muted.get():
        return
    try:
        notify_activity(activity_id=activity_id, kind=kind, person_ids=person_ids, note=note)
    except Exception:
        logger.exception("could not write the messages for activity %s", activity_id)
