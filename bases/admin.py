from django.contrib import admin

from shanghai_experts.admin import TolerantForeignKeys

from .models import Assessment, Base


@admin.register(Base)
class BaseAdmin(TolerantForeignKeys, admin.ModelAdmin):
    list_display = ["name", "host_unit", "level", "year_selected", "industry", "is_active"]
    list_filter = ["level", "year_selected", "is_active"]
    search_fields = ["name", "host_unit__name"]
    list_select_related = ["host_unit"]
    autocomplete_fields = ["host_unit"]


@admin.register(Assessment)
class AssessmentAdmin(TolerantForeignKeys, admin.ModelAdmin):
    """The state and the outcome move only through the workflow, never here."""

    list_display = ["base", "call", "unit", "recommender", "state", "rectify_deadline"]
    list_filter = ["call", "state"]
    search_fields = ["base__name", "unit__name"]
    list_select_related = ["base", "call", "unit", "recommender"]
    readonly_fields = [
        "state",
        "version",
        "outcome_opinion",
        "rectify_deadline",
        "rectification_submitted_at",
        "submitted_at",
        "recommender_opinion",
        "recommender_opinion_date",
    ]
    autocomplete_fields = ["recommender"]
    raw_id_fields = ["base", "unit"]

    def has_add_permission(self, request):
        return False  # the bureau opens assessments from the registry page
