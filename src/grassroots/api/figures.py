"""The dashboard's figures as JSON (`GET /api/v1/figures/`), for a district's big screen.

The same reads as the page (insights.selectors.dashboard_for) through the same filters form
(cases.forms.CaseFilterForm), scoped the same way: a street-office token reads its communities side
by side, a community's token its own. Integrations' keys never read figures (no scope opens them).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from grassroots.accounts.roles import user_can
from grassroots.api.schema import document
from grassroots.api.views import ApiMixin
from grassroots.cases import figures
from grassroots.cases.forms import CaseFilterForm, status_choices
from grassroots.cases.models import Channel
from grassroots.cases.selectors import categories_for, handler_choices_for
from grassroots.cases.services import PARTY_PATTERN
from grassroots.cases.workflow import Status
from grassroots.insights.selectors import CommunityFigures, dashboard_for
from grassroots.places.selectors import grids_for

PARAMETERS = ("community", "month_from", "month_to", "grid", "category", "channel", "handler")
MONTH_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"


class FigureSerializer(serializers.Serializer):
    value = serializers.FloatField(
        allow_null=True, help_text="A share (0..1), a count, a score (0..100) or a time bucket's index."
    )
    text = serializers.CharField(help_text="The value as the page shows it (72.5%, 2 hours–4 hours).")
    parts = serializers.DictField(
        child=serializers.IntegerField(), help_text="The counts behind it, by counter (docs/metrics.md)."
    )


class CareFiguresSerializer(serializers.Serializer):
    people = serializers.IntegerField(help_text="On the care register now.")
    reached = serializers.IntegerField(help_text="Reached within their tier's frequency.")
    due = serializers.IntegerField(help_text="Planned services due in the period.")
    done = serializers.IntegerField()
    missed = serializers.IntegerField()
    hours = serializers.FloatField(allow_null=True, help_text="Volunteer hours; null when none are recorded.")


class CommunityFiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null for the total of several communities.")
    code = serializers.CharField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)
    figures = serializers.DictField(child=FigureSerializer())
    care = CareFiguresSerializer(allow_null=True, help_text="null for a reader who may not see the register.")


class CategoryCountSerializer(serializers.Serializer):
    category = serializers.IntegerField()
    code = serializers.CharField()
    accepted = serializers.IntegerField()


class MonthCountSerializer(serializers.Serializer):
    month = serializers.CharField()
    accepted = serializers.IntegerField()


class FiguresSerializer(serializers.Serializer):
    month_from = serializers.CharField()
    month_to = serializers.CharField()
    communities = CommunityFiguresSerializer(many=True)
    total = CommunityFiguresSerializer(allow_null=True)
    top_categories = CategoryCountSerializer(many=True)
    months = MonthCountSerializer(many=True)


def _community(row: CommunityFigures) -> dict:
    community = row.community
    care = row.care
    return {
        "id": community.pk if community else None,
        "code": community.code if community else "",
        "name": community.name if community else "",
        "figures": {
            key: {
                "value": figure.value,
                "text": figure.text,
                "parts": {p.name: p.count for p in figure.parts},
            }
            for key, figure in row.figures.items()
        },
        "care": None
        if care is None
        else {
            "people": care.people,
            "reached": care.reached,
            "due": care.due,
            "done": care.done,
            "missed": care.missed,
            "hours": care.hours,
        },
    }


class FiguresView(ApiMixin, APIView):
    """The figures of the dashboard for a period (whole months, this one by default)."""

    required_scope = None  # integrations' keys never read figures: a person's token does
    filtered_read = True  # the schema states 400 (a filter naming what is not yours) and 404
    pagination_class = None
    filter_backends: list = []

    @document(
        tags=["figures"],
        summary="Dashboard figures",
        description=(
            "The three rates, the composite score, on-time, rework, extension, escalation and repeat "
            "rates, times to respond and resolve (as buckets), open and overdue now, top categories, "
            "cases by month and the care figures, per community in the reader's scope (one community "
            "with `community`). Formulas: docs/metrics.md."
        ),
        parameters=[
            OpenApiParameter("community", int, description="One community of your scope."),
            OpenApiParameter("month_from", str, pattern=MONTH_PATTERN, description="First month, 2026-12."),
            OpenApiParameter("month_to", str, pattern=MONTH_PATTERN, description="Last month (inclusive)."),
            OpenApiParameter("grid", int, description="Only this grid."),
            OpenApiParameter("category", int, description="Only this category (with its children)."),
            OpenApiParameter("channel", str, enum=list(Channel.values), description="Only this channel."),
            OpenApiParameter("handler", str, pattern=PARTY_PATTERN, description='The lead, e.g. "team:3".'),
        ],
        responses={200: FiguresSerializer},
    )
    def get(self, request):
        user = request.user
        reachable = list(figures.communities_for(user=user))
        if not user_can(user, "insights.dashboard.view") or not reachable:
            raise exceptions.NotFound()
        form = CaseFilterForm(
            request.query_params,
            grids=grids_for(user=user),
            categories=categories_for(user=user),
            handlers=handler_choices_for(user=user),
            statuses=status_choices(Status.values),
            communities=figures.communities_for(user=user),
        )
        empty = {
            name: [_("Give a value or leave the parameter out.")]
            for name in PARAMETERS
            if request.query_params.get(name) == ""
        }
        if empty:
            raise exceptions.ValidationError(empty)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data())
        cleaned = form.cleaned_data
        communities = [cleaned["community"]] if cleaned.get("community") else reachable
        filters = figures.filters_from(cleaned, today=timezone.localdate())
        board = dashboard_for(
            user=user,
            communities=communities,
            filters=filters,
            now=timezone.now(),
            today=timezone.localdate(),
        )
        return Response(
            {
                "month_from": filters.period.first.strftime("%Y-%m"),
                "month_to": filters.period.last.strftime("%Y-%m"),
                "communities": [_community(row) for row in board.communities],
                "total": _community(board.total) if board.total is not None else None,
                "top_categories": [
                    {"category": category.pk, "code": category.code, "accepted": count}
                    for category, count, _url in board.top_categories
                ],
                "months": [
                    {"month": month.strftime("%Y-%m"), "accepted": count}
                    for month, count, _url in board.months
                ],
            }
        )
