"""Dispatch: who should handle the case, suggested from what the community knows.

The suggestions (cases.selectors.dispatch_suggestions_for) follow the article: the grid's
worker, the category's default volunteer team or member units of the right kind, volunteers
with the matching skill, the building head, and party members living in the building. The few
who fit best (cases.suggest) come first with their reasons, and on a first dispatch the best one
is already ticked as the lead: one party is one click. The coordinator picks a lead (and any
supporters), or "whistles": several parties at once, each with a note of their role in this case,
each to report for duty.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from grassroots.cases import selectors, services
from grassroots.cases.models import Case
from grassroots.cases.services import Party
from grassroots.cases.views.case import load_case
from grassroots.cases.views.common import Outcome, is_coordinator, outcome_of_invalid, require, run
from grassroots.cases.workflow import Action, case_perform


def _parse_dispatch(post) -> tuple[Party | None, list[Party], dict[str, str]]:
    chosen = [text for text in post.getlist("parties") if text]
    lead_text = post.get("lead", "")
    if not lead_text and len(chosen) == 1:
        lead_text = chosen[0]
    lead = Party.parse(lead_text) if lead_text else None
    parties = [Party.parse(text) for text in chosen]
    notes = {str(party): post.get(f"role_note:{party}", "").strip() for party in [*parties, lead] if party}
    return lead, parties, notes


def case_dispatch_page(request, number: str):
    """Suggest handlers; dispatch to a lead (and supporters) or whistle several parties."""
    require(is_coordinator(request.user))
    case = load_case(request.user, number)
    actions = services.actions_for(request.user, case)
    may_dispatch = Action.DISPATCH in actions or Action.WHISTLE in actions
    outcome = Outcome()
    if request.method == "POST" and may_dispatch:
        outcome = _dispatch(request, case)
        if outcome.ok:
            done = outcome.result
            if request.POST.get("mode") == "whistle":
                messages.success(request, _("Whistle blown: every party is asked to report for duty."))
            else:
                messages.success(request, _("Dispatched: the handler is asked to acknowledge."))
            return redirect("case-detail", number=done.number)
        if outcome.kind == "conflict":
            case = load_case(request.user, number)
            actions = services.actions_for(request.user, case)
            may_dispatch = Action.DISPATCH in actions or Action.WHISTLE in actions
    elif request.method == "POST":
        outcome = Outcome(
            kind="not_allowed",
            message=_("Dispatch is not possible while the case is “%(status)s”.")
            % {"status": case.get_status_display()},
        )
    posted = request.POST if request.method == "POST" else None
    current = [a for a in case.assignments.all() if a.active]
    if posted is not None:
        chosen = set(posted.getlist("parties"))
        lead = posted.get("lead", "")
        notes = {
            key.removeprefix("role_note:"): value
            for key, value in posted.items()
            if key.startswith("role_note:")
        }
    else:  # a re-dispatch starts from the parties summoned now
        chosen = {f"{a.party_kind}:{a.party.pk}" for a in current}
        lead = next((f"{a.party_kind}:{a.party.pk}" for a in current if a.is_lead), "")
        notes = {f"{a.party_kind}:{a.party.pk}": a.role_note for a in current if a.role_note}
    groups = selectors.dispatch_suggestions_for(user=request.user, case=case) if may_dispatch else []
    preselected = posted is None and not current and bool(groups) and groups[0].suggested
    if preselected:
        best = groups[0].candidates[0].party  # a first dispatch: the best suggestion leads, one click
        chosen, lead = {best}, best
    for group in groups:
        for candidate in group.candidates:
            candidate.checked = candidate.party in chosen
            candidate.is_lead = candidate.party == lead
            candidate.note = notes.get(candidate.party, candidate.note)
    context = {
        "case": case,
        "groups": groups,
        "may_dispatch": may_dispatch,
        "may_whistle": Action.WHISTLE in actions,
        "preselected": preselected,
        "outcome": outcome,
        "current": current,
        "note": posted.get("note", "") if posted else "",
    }
    return render(request, "cases/dispatch.html", context, status=outcome.status)


def _dispatch(request, case: Case) -> Outcome:
    try:
        lead, parties, notes = _parse_dispatch(request.POST)
        version = int(request.POST.get("version", ""))
    except ValidationError as error:  # a party that is not "kind:id"
        return outcome_of_invalid(error)
    except ValueError:
        return Outcome(kind="invalid", message=_("The form is out of date: please reload the page."))
    if lead is None:
        return Outcome(
            kind="invalid", message=_("Choose who leads."), field_errors={"lead": [_("Choose who leads.")]}
        )
    others = [party for party in parties if party != lead]
    note = request.POST.get("note", "").strip()
    whistle = request.POST.get("mode") == "whistle"
    # The whistle names everyone else "parties"; a dispatch calls them "supporters".
    others_input = {"parties": others} if whistle else {"supporters": others}
    return run(
        case_perform,
        actor=request.user,
        case=case,
        action=Action.WHISTLE if whistle else Action.DISPATCH,
        lead=lead,
        expected_version=version,
        note=note,
        role_notes=notes,
        **others_input,
    )
