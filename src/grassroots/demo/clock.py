"""The demo's clock: the services run as if at a moment of the demo's past.

The demo tells a year of a community's life through the same services as the pages, and
the services stamp what they write with `timezone.now()`: the timeline entry, the clocks a
registration starts, the moment a party reports for duty, a visit's contact, a delivered
service. Inside `demo_clock(moment)`, `django.utils.timezone.now()` answers `moment`, so
every row a service writes carries the moment the story gives it, written once and never
moved afterwards (the timeline is append-only).

The services stamp through `timezone.now()` rather than through a field's default (a
default holds the real function, which no clock reaches), so the clock reaches every stamp.
Only the demo builder sets it, in its own command and thread, never while serving.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_real_now = timezone.now


@contextmanager
def demo_clock(moment: datetime) -> Iterator[datetime]:
    """Within the block, it is `moment` (an aware moment, never in the future)."""
    if timezone.is_naive(moment):
        raise ValueError("The demo's clock needs an aware moment.")
    if moment > _real_now():
        raise ValueError("The demo's clock cannot run ahead of the real one: the demo tells the past.")
    previous = timezone.now
    timezone.now = lambda: moment
    try:
        yield moment
    finally:
        timezone.now = previous
