from __future__ import annotations

from django.contrib import admin

from qinqing.cockpit.models import CockpitModule


@admin.register(CockpitModule)
class CockpitModuleAdmin(admin.ModelAdmin[CockpitModule]):
    """Street modules as data: the spec is checked on save, every problem named (see `cockpit.modules`)."""

    list_display = ("title", "key", "region", "order", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("title", "key", "region__name", "region__code")
    autocomplete_fields = ("region",)
    ordering = ("region__code", "order", "key")
