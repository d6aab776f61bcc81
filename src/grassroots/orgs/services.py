"""The one write path for the organisations: create or edit a branch, a team or a member unit.

The office (the secretary, social workers, administrators) keeps the list of the community's
organisations; a worker writes only in their own community, and an organisation they cannot
see is not found. Members stay with their people (party membership, volunteering) for now.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from grassroots.core.authority import user_can, user_scope


def org_save(*, actor, instance: models.Model, community_id: int | None = None) -> models.Model:
    """Validate and save a PartyBranch, VolunteerTeam or MemberUnit the actor may keep.

    A new one goes into `community_id` (the actor's own community unless they work everywhere);
    an existing one must be in the actor's scope. Field errors come back as ValidationError.
    """
    meta = instance._meta
    if not user_can(actor, f"{meta.app_label}.{meta.model_name}.change"):
        raise PermissionDenied
    everywhere = user_scope(actor).level == "all"
    if instance.pk is None:
        community_id = community_id or actor.community_id
        if community_id is None or not (everywhere or community_id == actor.community_id):
            raise PermissionDenied
        instance.community_id = community_id
    elif not type(instance).objects.visible_to(actor).filter(pk=instance.pk).exists():
        raise PermissionDenied
    instance.full_clean()
    with transaction.atomic():
        instance.save()
    return instance
