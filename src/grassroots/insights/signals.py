"""What insights announces: a monthly report is ready (notify mails its subscribers).

Insights sits below notify (the layers of pyproject's import-linter contract), so it never sends a
message itself: it says what happened, after commit, and notify, which hears it, writes the
messages with its own retries and dead letters.
"""

from django.dispatch import Signal

#: A monthly report's files were made for the first time; `report_id` names it.
report_ready = Signal()
