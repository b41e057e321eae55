from django.contrib import admin

from impacts.models import Equivalence


@admin.register(Equivalence)
class EquivalenceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "basis",
        "basis_per_unit",
        "unit_kind",
        "source_title",
        "order",
        "active",
    ]
    list_editable = ["order", "active"]
    list_filter = ["basis", "active"]
    search_fields = ["name", "phrase_fr", "source_title"]
    prepopulated_fields = {"slug": ["name"]}
