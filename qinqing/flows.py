"""Every flow of the platform on one page: who reacts to which domain event, and how.

Services `emit()` the events of `qinqing.core.events` inside their transaction. Here:

- SUBSCRIBERS run at the end of the emitting service's transaction, before it commits, and
  commit or roll back with it. Only what must be atomic with the change belongs here.
- CONSUMERS read the outbox after commit, through the task queue, each by its own cursor, and
  apply every event exactly once. Everything slow or optional belongs here.

Which service emits what is listed in docs/architecture.md ("Event map").
"""

from __future__ import annotations

from qinqing.accounts.models import Enterprise, User
from qinqing.bundles.services import on_case_closed
from qinqing.cases.services import tallies
from qinqing.cockpit import prompts as visit_prompts
from qinqing.cockpit.services import ingest as cockpit_ingest
from qinqing.core.events import CaseClosed, Consumer, Flows, LicenceIssued, LicenceRevoked
from qinqing.datahub.services import on_licence_issued, on_licence_revoked
from qinqing.policies import facttable
from qinqing.policies.services import rematch
from qinqing.servicedesk import context as desk_context

FLOWS = Flows(
    subscribers={
        # A licence the platform issued is shared data at once: a later step of the same 一件事
        # takes it as a material without an upload.
        LicenceIssued: (on_licence_issued,),
        LicenceRevoked: (on_licence_revoked,),
        # A closed step may unlock the next steps of its 一件事, exactly once, under the parent's lock.
        CaseClosed: (on_case_closed,),
    },
    consumers=(
        # The home page's headline counters (cases handled, service uses, enterprises served).
        Consumer(name=tallies.CONSUMER, handles=tallies.SERVICE_EVENTS, apply=tallies.count_events),
        # The kept fact snapshot whole-registry matching reads: the row of an enterprise whose facts changed
        # (or that got an account) is read again, once per event.
        Consumer(name=facttable.CONSUMER, handles=facttable.HANDLES, apply=facttable.apply_events, batch_size=500),
        # Policies find the enterprise: a publish matches the registry, changed facts re-match one
        # enterprise; 免申即享 entitlements and payouts are committed here, sent to the bank after.
        Consumer(name=rematch.CONSUMER, handles=rematch.HANDLES, apply=rematch.apply_events, batch_size=50),
        # A new registration at or above its node's registered-capital threshold raises a visit task for
        # the grid's staff, exactly once per enterprise.
        Consumer(name=visit_prompts.CONSUMER, handles=visit_prompts.HANDLES, apply=visit_prompts.apply_events,
                 batch_size=200),
        # The street cockpit's read models: each enterprise as last seen, per-node daily and present figures,
        # alerts by the rules; an unknown event type moves the cursor and changes nothing.
        Consumer(name=cockpit_ingest.CONSUMER, handles=cockpit_ingest.HANDLES, apply=cockpit_ingest.apply_events,
                 batch_size=cockpit_ingest.BATCH_SIZE),
    ),
)


def desk_payouts(enterprise: Enterprise, user: User) -> desk_context.ContextSection:
    """The D小二's view of an enterprise's policy payouts (policies is the desk's sibling: joined here)."""
    from django.utils.translation import gettext as _

    from qinqing.policies.models import Payout

    rows = (Payout.objects.visible_to(user).filter(entitlement__enterprise=enterprise)
            .select_related("entitlement__policy").order_by("-created_at", "-id")[:10])
    return desk_context.ContextSection(key="payouts", title=_("Payouts"), rows=[
        desk_context.ContextRow(
            text=payout.entitlement.policy.display_title,
            detail=_("%(amount)s yuan · %(status)s") % {"amount": f"{payout.amount:,.2f}",
                                                         "status": payout.get_status_display()})
        for payout in rows])


# The seat console shows what sibling apps know about the enterprise beside a chat.
desk_context.register("payouts", desk_payouts)


def desk_bundle_starts(enterprise: Enterprise, codes: list[str]) -> list[desk_context.ContextRow]:
    """The 一件事 a seat may start for the enterprise (政府替办): those the authorisation names, or, when it covers
    every one, those the government acts on; named as the enterprise sees them."""
    from django.urls import reverse

    from qinqing.bundles.queries import online_bundles

    bundles = online_bundles().order_by("code")
    bundles = bundles.filter(code__in=codes) if codes else bundles.filter(government_acts=True)
    return [desk_context.ContextRow(text=bundle.display_name, detail=bundle.code,
                                    url=reverse("bundles:apply", kwargs={"code": bundle.code}) + f"?for={enterprise.uscc}")
            for bundle in bundles]


desk_context.register_starts(desk_bundle_starts)
