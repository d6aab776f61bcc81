""" "My tasks" for the hands: what to do, where, whom to contact, and the buttons to do it.

A volunteer sees only what the task needs: the service asked for, the address,
the contact's name and masked phone. Never vulnerability tags, never the other
cases of the household. Each button posts one action (views.actions) and comes
back here.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import render

from grassroots.cases.models import Assignment, CaseEvent
from grassroots.cases.selectors import my_assignments
from grassroots.cases.views.actions import Failure, action_forms
from grassroots.cases.views.common import has_tasks, require
from grassroots.cases.workflow import ASSIGNEE, LEAD, Action, allowed

TASKS_PER_PAGE = 10
TASK_ACTIONS = (Action.ACKNOWLEDGE, Action.PLAN, Action.RESOLVE, Action.EXTEND, Action.NOTE)


def tasks(request):
    require(has_tasks(request.user))
    return render_tasks_page(request)


def task_list(user) -> list[dict]:
    """The user's open assignments grouped by case, with the actions each one allows now."""
    assignments = (
        my_assignments(user)
        .select_related("case__reporter_person", "case__grid")
        .prefetch_related(
            Prefetch(
                "case__assignments",
                queryset=Assignment.objects.filter(active=True).select_related(
                    "user", "person", "team", "unit"
                ),
                to_attr="active_parties",
            ),
            Prefetch(
                "case__events",
                queryset=CaseEvent.objects.filter(action__in=[Action.DISPATCH, Action.WHISTLE])
                .exclude(note="")
                .order_by("-at", "-id"),
                to_attr="instructions",
            ),
        )
    )
    by_case: dict[int, dict] = {}
    for assignment in assignments:
        task = by_case.setdefault(assignment.case_id, {"case": assignment.case, "mine": []})
        task["mine"].append(assignment)
    tasks = []
    for task in by_case.values():
        case, mine = task["case"], task["mine"]
        is_lead = any(a.is_lead for a in mine)
        who = {ASSIGNEE, LEAD} if is_lead else {ASSIGNEE}
        waiting = any(a.acknowledged_at is None for a in mine)
        actions = [action for action in TASK_ACTIONS if allowed(action, case.status, who)]
        if not waiting:
            actions = [action for action in actions if action != Action.ACKNOWLEDGE]
        if case.extension_requested_minutes:
            actions = [action for action in actions if action != Action.EXTEND]
        task.update(
            {
                "is_lead": is_lead,
                "waiting": waiting,
                "role_note": next((a.role_note for a in mine if a.role_note), ""),
                "instructions": case.instructions[0].note if case.instructions else "",
                "lead": next((a for a in case.active_parties if a.is_lead), None),
                "others": [a for a in case.active_parties if not a.is_lead],
                "actions": actions,
            }
        )
        tasks.append(task)
    tasks.sort(
        key=lambda t: (not t["waiting"], t["case"].resolution_due is None, t["case"].resolution_due or 0)
    )
    return tasks


def render_tasks_page(request, *, failure: Failure | None = None, status: int = 200):
    page = Paginator(task_list(request.user), TASKS_PER_PAGE).get_page(request.GET.get("page"))
    tasks = list(page.object_list)
    for task in tasks:
        task["forms"] = action_forms(task["case"], task["actions"], failure)
        task["failure"] = failure if failure is not None and failure.case_id == task["case"].pk else None
    context = {"tasks": tasks, "page": page, "failure": failure}
    return render(request, "cases/tasks.html", context, status=status)
