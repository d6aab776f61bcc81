"""The actions a screen can post on a case: one form and exactly one service call each.

The case page, the call-back screen and "my tasks" all post here; which actions a
user sees is decided by services.actions_for (that is, by the workflow table), and
the service checks it again when the form comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.cases import services
from grassroots.cases.forms import (
    AcknowledgeForm,
    ActionForm,
    DecideExtensionForm,
    ExtendForm,
    MergeForm,
    NoteForm,
    NoteOptionalForm,
    PlanForm,
    ReasonForm,
    ResolveForm,
    VerifyForm,
)
from grassroots.cases.models import Case
from grassroots.cases.views_common import Outcome, run, show_errors


def _merge(actor, case: Case, data: dict, photos) -> Case:
    number = (data.get("into") or "").strip().upper()
    into = Case.objects.visible_to(actor).filter(number=number).first() if number else None
    if into is None:
        raise ValidationError({"into": _("No such case.")})
    return services.case_merge(
        actor=actor, case=case, into=into, expected_version=data["version"], note=data["note"]
    )


@dataclass(frozen=True)
class ActionSpec:
    form: type[ActionForm]
    call: Callable
    done: str
    with_photos: bool = False


SPECS: dict[str, ActionSpec] = {
    "register": ActionSpec(
        NoteOptionalForm,
        lambda actor, case, data, photos: services.case_register(
            actor=actor, case=case, expected_version=data["version"], note=data["note"]
        ),
        gettext_lazy("Registered: the clocks are running."),
    ),
    "reject": ActionSpec(
        ReasonForm,
        lambda actor, case, data, photos: services.case_reject(
            actor=actor, case=case, reason=data["reason"], expected_version=data["version"]
        ),
        gettext_lazy("Rejected. The reason is on the timeline."),
    ),
    "merge": ActionSpec(MergeForm, _merge, gettext_lazy("Merged into the case it repeats.")),
    "acknowledge": ActionSpec(
        AcknowledgeForm,
        lambda actor, case, data, photos: services.case_acknowledge(
            actor=actor,
            case=case,
            party=services.Party.parse(data["party"]) if data.get("party") else None,
            expected_version=data["version"],
            note=data["note"],
        ),
        gettext_lazy("Reporting for duty is recorded."),
    ),
    "plan": ActionSpec(
        PlanForm,
        lambda actor, case, data, photos: services.case_plan(
            actor=actor, case=case, plan=data["plan"], expected_version=data["version"]
        ),
        gettext_lazy("The agreed plan is recorded."),
    ),
    "resolve": ActionSpec(
        ResolveForm,
        lambda actor, case, data, photos: services.case_resolve(
            actor=actor, case=case, report=data["report"], photos=photos, expected_version=data["version"]
        ),
        gettext_lazy("Reported done. The community will call the resident back."),
        with_photos=True,
    ),
    "verify": ActionSpec(
        VerifyForm,
        lambda actor, case, data, photos: services.case_verify(
            actor=actor,
            case=case,
            satisfaction=data["satisfaction"],
            note=data["note"],
            expected_version=data["version"],
        ),
        gettext_lazy("The call-back is recorded."),
    ),
    "close": ActionSpec(
        NoteOptionalForm,
        lambda actor, case, data, photos: services.case_close(
            actor=actor, case=case, note=data["note"], expected_version=data["version"]
        ),
        gettext_lazy("Closed."),
    ),
    "reopen": ActionSpec(
        ReasonForm,
        lambda actor, case, data, photos: services.case_reopen(
            actor=actor, case=case, reason=data["reason"], expected_version=data["version"]
        ),
        gettext_lazy("Reopened and sent back to the handlers."),
    ),
    "urge": ActionSpec(
        NoteOptionalForm,
        lambda actor, case, data, photos: services.case_urge(
            actor=actor, case=case, note=data["note"], expected_version=data["version"]
        ),
        gettext_lazy("Urged: the handlers are told."),
    ),
    "escalate": ActionSpec(
        ReasonForm,
        lambda actor, case, data, photos: services.case_escalate(
            actor=actor, case=case, reason=data["reason"], expected_version=data["version"]
        ),
        gettext_lazy("Escalated to the street office."),
    ),
    "extend": ActionSpec(
        ExtendForm,
        lambda actor, case, data, photos: services.case_extend(
            actor=actor,
            case=case,
            minutes=data["minutes"],
            reason=data["reason"],
            expected_version=data["version"],
        ),
        gettext_lazy("More time requested; the Party committee decides."),
    ),
    "decide_extension": ActionSpec(
        DecideExtensionForm,
        lambda actor, case, data, photos: services.case_decide_extension(
            actor=actor,
            case=case,
            approve=data["decision"] == "approve",
            note=data["note"],
            expected_version=data["version"],
        ),
        gettext_lazy("The request for more time is decided."),
    ),
    "note": ActionSpec(
        NoteForm,
        lambda actor, case, data, photos: services.case_note(
            actor=actor,
            case=case,
            note=data["note"],
            photos=photos,
            public=not data["internal"],
            expected_version=data["version"],
        ),
        gettext_lazy("Note added."),
        with_photos=True,
    ),
}

#: Field names the services use that the forms call differently.
ALIASES = {"photos": "__all__"}


def auto_id(case: Case, action: str) -> str:
    return f"id_{case.pk}_{action}_%s"


def initial_for(case: Case, action: str) -> dict:
    initial = {"version": case.version}
    if action == "plan":
        initial["plan"] = case.plan
    return initial


@dataclass
class Failure:
    """An action that came back with something to tell the user, and the form as typed."""

    case_id: int
    action: str
    form: ActionForm
    outcome: Outcome


def action_forms(case: Case, actions, failure: Failure | None = None) -> dict[str, ActionForm]:
    """Unbound forms for the actions offered now; the failed one keeps what was typed."""
    forms = {
        action: SPECS[action].form(initial=initial_for(case, action), auto_id=auto_id(case, action))
        for action in actions
        if action in SPECS
    }
    if failure is not None and failure.case_id == case.pk and failure.action in forms:
        forms[failure.action] = failure.form
    return forms


def perform(request, case: Case, action: str) -> tuple[Outcome, ActionForm]:
    """Validate the posted form and call the one service of this action."""
    spec = SPECS[action]
    form = spec.form(request.POST, auto_id=auto_id(case, action))
    if not form.is_valid():
        message = _("Please correct the form.")
        if "version" in form.errors:
            message = _("The form is out of date: please reload the page.")
        return Outcome(kind="invalid", message=message), form
    photos = request.FILES.getlist("photos") if spec.with_photos else []
    outcome = run(spec.call, actor=request.user, case=case, data=form.cleaned_data, photos=photos)
    if outcome.kind == "invalid":
        show_errors(form, outcome, ALIASES)
    elif outcome.kind == "conflict":
        # Keep what was typed, against the case as it is now, so the user can look and resubmit.
        data = request.POST.copy()
        data["version"] = str(outcome.result.version)
        form = spec.form(data, auto_id=auto_id(case, action))
        form.is_valid()
    return outcome, form
