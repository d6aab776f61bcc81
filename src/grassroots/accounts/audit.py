"""Role and permission changes, recorded in the audit trail (core.audit) wherever they are made.

Signals, so that the admin, the shell, an import and a service are all covered without each
remembering to: a new account (ACCOUNT_CREATED, with its role), a change of role, scope or
standing (ROLE_CHANGED: role, street, community, member unit, active, staff, superuser; each with
its old and new value, codes and ids only), and a change of grids, groups or permissions of an
account or of a group (PERMISSIONS_CHANGED, with the ids added or removed). The actor is the
signed-in user of the request being answered, else the system.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from grassroots.accounts.models import User
from grassroots.core import audit

#: The fields that decide what an account may do and where.
WATCHED = ("role", "street_id", "community_id", "member_unit_id", "is_active", "is_staff", "is_superuser")


@receiver(pre_save, sender=User, dispatch_uid="grassroots-audit-user-before")
def _remember(sender, instance: User, raw=False, **kwargs) -> None:
    instance._audit_before = None
    if raw or instance.pk is None:
        return
    instance._audit_before = User.objects.filter(pk=instance.pk).values(*WATCHED).first()


@receiver(post_save, sender=User, dispatch_uid="grassroots-audit-user-after")
def _compare(sender, instance: User, created: bool, raw=False, **kwargs) -> None:
    if raw:
        return
    now = {field: getattr(instance, field) for field in WATCHED}
    if created:
        audit.record(audit.ACCOUNT_CREATED, subject=instance, detail={"set": now})
        return
    before = getattr(instance, "_audit_before", None) or {}
    changes = {
        field: [before.get(field), value] for field, value in now.items() if before.get(field) != value
    }
    if before and changes:
        audit.record(audit.ROLE_CHANGED, subject=instance, detail={"changes": changes})


def _m2m_receiver(relation: str, through):
    @receiver(m2m_changed, sender=through, dispatch_uid=f"grassroots-audit-{relation}", weak=False)
    def _changed(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs) -> None:
        if action == "pre_clear":
            # The through table's two columns are named after the two models (user, grid, group, ...).
            links = sender.objects.filter(**{instance._meta.model_name: instance.pk})
            instance._audit_cleared = sorted(links.values_list(f"{model._meta.model_name}_id", flat=True))
            return
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        ids = sorted(pk_set or []) if action != "post_clear" else getattr(instance, "_audit_cleared", [])
        if not ids and action != "post_clear":
            return
        detail = {"relation": relation, "change": action.removeprefix("post_"), "ids": ids}
        if reverse:  # e.g. group.user_set.add(user): `instance` is the other side, `pk_set` the accounts
            detail["from"] = f"{instance._meta.label_lower}:{instance.pk}"
            audit.record(
                audit.PERMISSIONS_CHANGED,
                subject_type=model._meta.label_lower,
                subject_id=",".join(str(pk) for pk in ids)[:64],
                detail=detail,
            )
            return
        audit.record(audit.PERMISSIONS_CHANGED, subject=instance, detail=detail)

    return _changed


_m2m_receiver("grids", User.grids.through)
_m2m_receiver("groups", User.groups.through)
_m2m_receiver("user_permissions", User.user_permissions.through)
_m2m_receiver("permissions", Group.permissions.through)
