"""Policies in the Django admin: read-mostly; money moves only through the services (ledger is append-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qinqing.policies.models import Entitlement, FundPool, LedgerEntry, Payout, Policy, PolicyVersion


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Policy)
class PolicyAdmin(ReadOnly):
    list_display = ("code", "title", "department", "mode", "status", "published_at")
    list_filter = ("status", "mode", "department")
    search_fields = ("code", "title", "document_number")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnly):
    list_display = ("policy", "number", "amount_text", "created_at")


@admin.register(FundPool)
class FundPoolAdmin(ReadOnly):
    list_display = ("policy", "total", "committed", "paid")


@admin.register(Entitlement)
class EntitlementAdmin(ReadOnly):
    list_display = ("key", "policy", "enterprise", "period", "amount", "status")
    list_filter = ("status",)


@admin.register(Payout)
class PayoutAdmin(ReadOnly):
    list_display = ("reference", "amount", "status", "attempts", "masked_account", "paid_at")
    list_filter = ("status",)
    exclude = ("account_number",)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnly):
    list_display = ("at", "pool", "kind", "amount", "payout")
    list_filter = ("kind",)
