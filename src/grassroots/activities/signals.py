"""What the activities app announces to the apps above it (notify may tell a promoted person).

Activities never import the apps that react to them; whoever cares connects in their
AppConfig.ready().
"""

from __future__ import annotations

from django.dispatch import Signal

#: Someone on the waiting list got a place that a cancellation freed (sent after commit).
#: Arguments: signup_id.
signup_promoted = Signal()
