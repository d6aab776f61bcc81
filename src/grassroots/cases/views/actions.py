"""The actions a screen can post on a case: the registry's form, and exactly one service call.

The case page, the call-back screen, "my tasks" and the board all post here; which actions a
user sees is decided by services.actions_for (that is, by the registry in cases.workflow), and
the service checks it again when the form comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import gettext as _

from grassroots.accounts.models import User
from grassroots.cases import selectors
from grassroots.cases.forms import ActionForm, action_form, page_field_name, service_inputs
from grassroots.cases.models import Case
from grassroots.cases.views.common import Outcome, run
from grassroots.cases.workflow import REGISTRY, CaseAction, case_perform


def auto_id(case: Case, action: str) -> str:
    return f"id_{case.pk}_{action}_%s"


def initial_for(case: Case, declared: CaseAction) -> dict:
    initial = {"version": case.version}
    if declared.initial is not None:
        initial |= declared.initial(case)
    return initial


def offers_on_page(name: str) -> bool:
    """Actions with a form on the case page (dispatch and whistle have a page of their own)."""
    declared = REGISTRY.get(name)
    return declared is not None and not declared.internal and not declared.page


@dataclass
class Failure:
    """An action that came back with something to tell the user, and the form as typed."""

    case_id: int
    action: str
    form: ActionForm
    outcome: Outcome


@dataclass
class Offer:
    """One action offered on a case page, with its form (the failed one keeps what was typed)."""

    action: CaseAction
    form: ActionForm
    case: Case
    user: User | None = None

    @property
    def summary(self) -> str:
        summary = self.action.summary
        return str(summary(self.case) if callable(summary) else summary)

    @property
    def fields(self) -> list[tuple]:
        """Each declared input with its bound field on this form (None for photos, read from the files)."""
        bound = []
        for item in self.action.inputs:
            name = page_field_name(item)
            bound.append((item, self.form[name] if name in self.form.fields else None))
        return bound

    @cached_property
    def suggestions(self) -> list:
        """Cases to pick from for an input naming another case (the likely duplicates to merge into)."""
        if not any(item.kind == "case" for item in self.action.inputs):
            return []
        return selectors.merge_candidates_for(user=self.user, case=self.case)

    @property
    def description(self) -> str:
        return self.action.describe(self.case) if self.action.describe else ""

    @property
    def decides(self) -> bool:
        """Answered with two buttons (approve, refuse) instead of one."""
        return any(item.kind == "decision" for item in self.action.inputs)

    @property
    def condition(self) -> tuple[str, str] | None:
        if self.action.condition is None:
            return None
        attribute, label = self.action.condition
        text = getattr(self.case.category, attribute, "")
        return (str(label), text) if text else None


def action_forms(
    case: Case, actions, failure: Failure | None = None, *, user: User | None = None
) -> list[Offer]:
    """The actions offered now, in page order, with unbound forms; the failed one keeps what was typed."""
    forms = {
        action: action_form(action)(
            initial=initial_for(case, REGISTRY[action]), auto_id=auto_id(case, action)
        )
        for action in actions
        if offers_on_page(action)
    }
    if failure is not None and failure.case_id == case.pk and failure.action in forms:
        forms[failure.action] = failure.form
    offered = [Offer(REGISTRY[name], form, case, user) for name, form in forms.items()]
    # The open forms first, then the folded ones by rank.
    return sorted(offered, key=lambda offer: (bool(offer.action.summary), offer.action.rank))


def perform(request, case: Case, action: str) -> tuple[Outcome, ActionForm]:
    """Validate the posted form and call the one service of this action."""
    form_class = action_form(action)
    form = form_class(request.POST, auto_id=auto_id(case, action))
    if not form.is_valid():
        message = _("Please correct the form.")
        if "version" in form.errors:
            message = _("The form is out of date: please reload the page.")
        return Outcome(kind="invalid", message=message), form
    photos = request.FILES.getlist("photos") if REGISTRY[action].takes_photos else []
    outcome = run(_perform_form, actor=request.user, case=case, action=action, form=form, photos=photos)
    if outcome.kind == "invalid":
        form.add_service_errors(outcome.field_errors)
    elif outcome.kind == "conflict":
        # Keep what was typed, against the case as it is now, so the user can look and resubmit.
        data = request.POST.copy()
        data["version"] = str(outcome.result.version)
        form = form_class(data, auto_id=auto_id(case, action))
        form.is_valid()
    return outcome, form


def _perform_form(*, actor, case: Case, action: str, form: ActionForm, photos) -> Case:
    inputs = service_inputs(action, form.cleaned_data, photos, actor=actor)
    return case_perform(
        actor=actor, case=case, action=action, expected_version=form.cleaned_data["version"], **inputs
    )
