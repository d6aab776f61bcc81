"""The site plan in and out for administrators: a GeoJSON file of grid outlines and building
positions is checked (every problem named by feature) and then written, all or nothing; the
present plan downloads as the same kind of file, to edit in a GIS tool and import again."""

from __future__ import annotations

import base64
import binascii
import json

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from grassroots.core.authority import user_can
from grassroots.core.ids import parse_id
from grassroots.places.geo import MAX_BYTES, PlanFileError, check_plan, plan_geojson, plan_import
from grassroots.places.models import Community


class PlanForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.order_by("code"))
    file = forms.FileField(label=_("GeoJSON file"), required=False)
    # The checked file, carried to the "write it" step so that it need not be chosen again.
    content = forms.CharField(widget=forms.HiddenInput, required=False)


def _require(user) -> None:
    if not user_can(user, "places.plan.change"):
        raise Http404


def _content_of(form: PlanForm) -> bytes | None:
    upload = form.cleaned_data.get("file")
    if upload is not None:
        return upload.read(MAX_BYTES + 1)
    try:
        return base64.b64decode(form.cleaned_data.get("content") or "", validate=True) or None
    except binascii.Error:
        return None


def plan_import_page(request):
    """Upload, see every problem or what would be written, then write it with one more click."""
    _require(request.user)
    form = PlanForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        content = _content_of(form)
        if content is None:
            form.add_error("file", _("Please choose a GeoJSON file."))
        else:
            community = form.cleaned_data["community"]
            try:
                check = check_plan(community=community, content=content)
            except PlanFileError as error:
                form.add_error("file", str(error))
            else:
                context.update(check=check, community=community)
                if check.ok and request.POST.get("write") == "1" and not form.cleaned_data.get("file"):
                    context["written"] = plan_import(actor=request.user, check=check)
                else:
                    context["carried"] = base64.b64encode(content).decode()
    return render(request, "ledger/plan.html", context)


def plan_export(request):
    """The present plan of the community chosen (?community=<id>) as a GeoJSON file."""
    _require(request.user)
    community = get_object_or_404(Community, pk=parse_id(request.GET.get("community")) or 0)
    body = json.dumps(plan_geojson(community), ensure_ascii=False, indent=1).encode()
    response = HttpResponse(body, content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="{community.code}-plan.geojson"'
    return response
