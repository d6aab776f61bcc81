"""What the activities app announces to the apps above it (notify may tell a promoted person).

Activities never import the apps that react to them; whoever cares connects in their
AppConfig.ready().
"""

from __future__ import annotations

from django.dispatch import Signal

#: Someone on the waiting list got a place that a cancellation freed (sent after commit).
#: Arguments: signup_id.
signup_promoted = Signal()

#: An activity was cancelled, or its time or place changed, by its organiser (sent after commit).
#: Arguments: activity_id, kind ("cancelled" or "changed"), person_ids (everyone signed up), note.
activity_announced = Signal()
