from django.contrib import admin

from qinqing.datahub.models import RegistryRecord, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin[Source]):
    list_display = ["code", "name", "department_name"]


@admin.register(RegistryRecord)
class RegistryRecordAdmin(admin.ModelAdmin[RegistryRecord]):
    list_display = ["uscc", "name", "legal_representative", "registered_capital", "status", "as_of"]
    list_filter = ["status", "source"]
    search_fields = ["uscc", "name", "legal_representative"]
