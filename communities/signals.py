"""Cached standings go stale the moment anyone's roles change (issue 17).

``communities.permissions.standing_in`` caches a person's standing in a compound under
the standings' generation; every save or delete of a row that decides standing bumps it
— at once (this request's memo, and a request that starts now) and again when the
transaction commits (a request that read the old rows before the commit may have cached
them under the generation of the first bump). Whatever the writer: services, the admin,
seed_demo, tests. A bulk ``QuerySet.update()`` sends no signal: call
``communities.permissions.forget_standings()`` after one.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save


def _forget(sender, **kwargs) -> None:
    from communities.permissions import forget_standings

    forget_standings()
    transaction.on_commit(forget_standings)


def connect() -> None:
    from communities.models import Membership, RoleGrant, ServiceContract, UnitOwnership

    for model in (Membership, UnitOwnership, ServiceContract, RoleGrant):
        uid = f"gg-standing-{model._meta.label_lower}"
        post_save.connect(_forget, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_forget, sender=model, dispatch_uid=f"{uid}-delete")
