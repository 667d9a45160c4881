from django.contrib import admin

from shanghai_experts.formsets import BoundedInlineFormSet

from .forms import ROW_CAPS, PlaceForm
from .models import (
    Application,
    BudgetItem,
    Expert,
    FundingSource,
    ServiceFieldOption,
    ServicePlace,
)


class ExpertInline(admin.TabularInline):
    model = Expert
    extra = 0
    formset, max_num = BoundedInlineFormSet, ROW_CAPS["experts"]


class PlaceInline(admin.TabularInline):
    model = ServicePlace
    # The same lists and checks as the unit's form: codes from the national divisions.
    form = PlaceForm
    extra = 0
    formset, max_num = BoundedInlineFormSet, ROW_CAPS["places"]


class BudgetInline(admin.TabularInline):
    model = BudgetItem
    extra = 0
    formset, max_num = BoundedInlineFormSet, ROW_CAPS["budget_items"]


class SourceInline(admin.TabularInline):
    model = FundingSource
    extra = 0
    formset, max_num = BoundedInlineFormSet, ROW_CAPS["funding_sources"]


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


@admin.register(ServiceFieldOption)
class ServiceFieldOptionAdmin(admin.ModelAdmin):
    """服务领域 a call offers on 附件1 (a unit may still write its own)."""

    list_display = ["name", "call", "position"]
    list_editable = ["position"]
    list_filter = ["call"]
    list_select_related = ["call"]
    search_fields = ["name"]
