"""The `grassroots` command: Django's management commands plus our own.

`grassroots demo` works on its own demo database (var/demo.sqlite3) unless
DATABASE_URL says otherwise, so trying the demo never touches real data.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.config.settings")
    if len(argv) > 1 and argv[1] == "demo":
        os.environ.setdefault("GRASSROOTS_DEMO", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
