"""What the cases app announces to the apps above it, which subscribe (notify, and next the dashboard).

Cases never import the apps that react to them: a committed event or a newly overdue case is
sent here, and whoever cares connects in their AppConfig.ready().
"""

from __future__ import annotations

from django.dispatch import Signal

#: A case event was committed (sent after commit). Arguments: event_id.
case_event_committed = Signal()

#: The overdue sweep claimed a case that has just become overdue (sent inside the claim's
#: transaction, so that the claim and what receivers write stand or fall together). Arguments: case_id.
case_became_overdue = Signal()
