from django.contrib import admin

from qinqing.catalog.models import Board, FormField, MaterialRequirement, Matter


class FormFieldInline(admin.TabularInline[FormField, Matter]):
    model = FormField
    extra = 0
    fields = ["order", "key", "label", "label_en", "type", "kind", "unit", "required", "prefill", "editable", "choices",
              "min_value", "max_value", "max_length", "help_text"]


class MaterialInline(admin.TabularInline[MaterialRequirement, Matter]):
    model = MaterialRequirement
    extra = 0
    fields = ["order", "code", "name", "name_en", "required", "satisfied_by", "note"]


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin[Matter]):
    list_display = ["code", "name", "board", "department", "kind", "automatic", "rule_set", "active"]
    list_filter = ["board", "department", "kind", "automatic", "active"]
    search_fields = ["code", "name", "name_en"]
    inlines = [FormFieldInline, MaterialInline]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin[Board]):
    list_display = ["code", "name", "name_en", "order"]
