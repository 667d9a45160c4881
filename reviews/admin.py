from django.contrib import admin

from .models import AuditRecord, StampedScan


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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
