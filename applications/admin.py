from django.contrib import admin

from .models import Application, BudgetItem, Expert, FundingSource, ServicePlace


class ExpertInline(admin.TabularInline):
    model = Expert
    extra = 0


class PlaceInline(admin.TabularInline):
    model = ServicePlace
    extra = 0


class BudgetInline(admin.TabularInline):
    model = BudgetItem
    extra = 0


class SourceInline(admin.TabularInline):
    model = FundingSource
    extra = 0


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """The state is shown, never edited here: it changes only through the workflow."""

    list_display = ["__str__", "unit", "category", "state", "recommender", "submitted_at"]
    list_filter = ["call", "state", "category"]
    search_fields = ["name", "unit__name"]
    list_select_related = ["unit", "recommender", "call"]
    readonly_fields = ["state", "submitted_at", "created_at", "updated_at", "version"]
    inlines = [ExpertInline, PlaceInline, BudgetInline, SourceInline]
    raw_id_fields = ["unit", "recommender", "base"]
