"""What the care app announces to the apps above it, which subscribe (activities' hours ledger).

Care never imports the apps that react to it: a delivered service is sent here, and whoever cares
connects in their AppConfig.ready().
"""

from __future__ import annotations

from django.dispatch import Signal

#: A planned service was recorded as delivered (sent inside the delivery's transaction, after its
#: row is saved, so that the delivery and what receivers write stand or fall together).
#: Arguments: planned (the PlannedService, with its service, enrolment and volunteer), actor.
service_delivered = Signal()
