"""`grassroots shell`: Django's shell with `system_actor` at hand.

Whatever an operator does by hand goes through the services like everything else, and the
services want an actor: `case_close(actor=system_actor(), case=...)` is recorded as the
system, never as nobody.
"""

from __future__ import annotations

from django.core.management.commands import shell


class Command(shell.Command):
    def get_auto_imports(self) -> list[str]:
        return [*super().get_auto_imports(), "grassroots.accounts.system_actor"]
