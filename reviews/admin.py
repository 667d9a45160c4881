from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from shanghai_experts.admin import CallAdmin
from shanghai_experts.formsets import BoundedInlineFormSet
from shanghai_experts.models import Call

from .models import AuditRecord, RecommenderFiling, ScoringCriterion, StampedScan


class ScoringCriterionInline(admin.TabularInline):
    model = ScoringCriterion
    extra = 0
    formset, max_num = BoundedInlineFormSet, 30  # a score sheet of a few criteria
    fields = ["position", "name", "description", "weight", "max_points"]


class CallWithCriteriaAdmin(CallAdmin):
    """The call's page with its score sheet first: the criteria belong to the review engine,
    so this app adds them to the core's call admin."""

    inlines = [ScoringCriterionInline, *CallAdmin.inlines]


admin.site.unregister(Call)
admin.site.register(Call, CallWithCriteriaAdmin)


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    """Read only: the audit trail cannot be edited or deleted here."""

    list_display = ["created_at", "action_label", "from_state", "to_state", "actor", "organisation"]
    list_filter = ["action", "to_state"]
    list_select_related = ["actor", "organisation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StampedScan)
class StampedScanAdmin(admin.ModelAdmin):
    """Uploaded scans are evidence: listed here, changed nowhere."""

    list_display = ["uploaded_at", "kind", "original_name", "organisation", "matches"]
    list_filter = ["kind", "matches"]
    list_select_related = ["organisation"]
    # The file lives in private storage, which has no public address: the page links to the
    # download view, which checks who may read it, instead of the storage's URL.
    exclude = ["file"]
    readonly_fields = ["download"]

    @admin.display(description="文件")
    def download(self, scan):
        return format_html(
            '<a href="{}">下载 {}</a>', reverse("reviews:scan", args=[scan.pk]), scan.original_name
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RecommenderFiling)
class RecommenderFilingAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "call",
        "contact_name",
        "office_phone",
        "mobile",
        "paper_received_on",
    ]
    list_filter = ["call"]
    list_select_related = ["organisation", "call"]
    readonly_fields = ["updated_by", "updated_at", "paper_received_by"]
