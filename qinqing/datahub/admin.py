
from django.contrib import admin
from django.http import HttpRequest

from qinqing.datahub.models import DataRecord, RegistryRecord, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin[Source]):
    list_display = ["code", "name", "department_name", "fact_prefix", "adapter", "last_imported_at", "order"]
    list_filter = ["adapter", "provides_facts"]
    search_fields = ["code", "name", "department_name"]
    readonly_fields = ["last_imported_at"]


@admin.register(RegistryRecord)
class RegistryRecordAdmin(admin.ModelAdmin[RegistryRecord]):
    list_display = ["uscc", "name", "legal_representative", "registered_capital", "status", "as_of"]
    list_filter = ["status", "source"]
    search_fields = ["uscc", "name", "legal_representative"]


@admin.register(DataRecord)
class DataRecordAdmin(admin.ModelAdmin[DataRecord]):
    """Records change only through imports; the admin shows them."""

    list_display = ["source", "uscc", "key", "category", "title", "as_of", "imported_at"]
    list_filter = ["source"]
    search_fields = ["uscc", "key"]
    list_select_related = ["source"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DataRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DataRecord | None = None) -> bool:
        return False
