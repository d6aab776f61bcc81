""" "My tasks" for the hands: what to do, where, whom to contact, and the buttons to do it.

A volunteer sees only what the task needs: the service asked for, the address,
the contact's name and masked phone. Never vulnerability tags, never the other
cases of the household. Each button posts one action (views.actions) and comes
back here.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from grassroots.cases import selectors
from grassroots.cases.views.actions import Failure, action_forms
from grassroots.cases.views.common import has_tasks, require

TASKS_PER_PAGE = 10


def tasks(request):
    require(has_tasks(request.user))
    return render_tasks_page(request)


def render_tasks_page(request, *, failure: Failure | None = None, status: int = 200):
    page = Paginator(selectors.task_list(user=request.user), TASKS_PER_PAGE).get_page(request.GET.get("page"))
    tasks = list(page.object_list)
    for task in tasks:
        task["forms"] = action_forms(task["case"], task["actions"], failure, user=request.user)
        task["failure"] = failure if failure is not None and failure.case_id == task["case"].pk else None
    context = {"tasks": tasks, "page": page, "failure": failure}
    return render(request, "cases/tasks.html", context, status=status)
