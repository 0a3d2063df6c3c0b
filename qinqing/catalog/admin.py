from django.contrib import admin

from qinqing.catalog.models import Board, FormField, MaterialRequirement, Matter


class FormFieldInline(admin.StackedInline[FormField, Matter]):
    """Stacked, so every input has its own visible label (a tabular row has only column headers)."""

    model = FormField
    extra = 0
    classes = ["collapse"]
    fields = ["order", "key", "label", "label_en", "type", "kind", "unit", "required", "prefill", "editable", "choices",
              "min_value", "max_value", "max_length", "help_text", "help_text_en"]


class MaterialInline(admin.StackedInline[MaterialRequirement, Matter]):
    model = MaterialRequirement
    extra = 0
    classes = ["collapse"]
    fields = ["order", "code", "name", "name_en", "required", "satisfied_by", "note", "note_en"]


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin[Matter]):
    list_display = ["code", "name", "board", "department", "kind", "automatic", "rule_set", "active"]
    list_filter = ["board", "department", "kind", "automatic", "active"]
    search_fields = ["code", "name", "name_en"]
    exclude = ["source_id", "confidence"]  # the catalog's research notes stay in the data files
    inlines = [FormFieldInline, MaterialInline]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin[Board]):
    list_display = ["code", "name", "name_en", "order"]
