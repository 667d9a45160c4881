from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Call, DeadlineExtension, Organisation, RecommenderQuota, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "short_name",
        "kind",
        "uscc",
        "district",
        "commission",
        "approval",
        "is_active",
    ]
    list_filter = ["kind", "approval", "is_active", "district"]
    search_fields = ["name", "short_name", "uscc"]
    list_select_related = ["district", "commission"]
    autocomplete_fields = ["district", "commission"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "organisation", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "organisation__kind"]
    list_select_related = ["organisation"]
    search_fields = ["username", "first_name", "last_name", "email", "organisation__name"]
    autocomplete_fields = ["organisation"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("所属机构", {"fields": ("organisation", "phone", "is_org_admin", "affiliation")}),
        ("账号状态", {"fields": ("must_change_password", "awaiting_activation")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("所属机构", {"fields": ("organisation", "email", "phone")}),
    )

    def save_model(self, request, obj, form, change):
        # A password an administrator chose is known to two people: the owner replaces it at
        # first login (and after an administrator resets it).
        if not change:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if (
            request.method == "POST"
            and response.status_code == 302
            and str(id) != str(request.user.pk)
        ):
            User.objects.filter(pk=id).update(must_change_password=True)
        return response


class DeadlineExtensionInline(admin.TabularInline):
    model = DeadlineExtension
    extra = 0
    autocomplete_fields = ["organisation"]
    readonly_fields = ["granted_by", "created_at"]


class RecommenderQuotaInline(admin.TabularInline):
    model = RecommenderQuota
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["year", "document_number", "opens_on", "unit_deadline", "recommender_deadline"]
    inlines = [RecommenderQuotaInline, DeadlineExtensionInline]
    fieldsets = (
        (
            None,
            {"fields": ("year", "document_number", "title", "bureau_email", "notice_text")},
        ),
        ("提示", {"fields": ("unit_steps", "recommender_steps")}),
        ("时间", {"fields": ("opens_on", "unit_deadline", "recommender_deadline")}),
        ("盖章材料", {"fields": ("require_stamped_scan",)}),
        (
            "限额",
            {
                "fields": (
                    "national_cap",
                    "municipal_cap",
                    "applications_per_unit",
                    "recommender_quota",
                    "direct_limit",
                    "min_service_days",
                    "spread_threshold",
                )
            },
        ),
        (
            "字数限制",
            {"fields": ("service_content_limit", "summary_limit", "base_narrative_limit")},
        ),
    )
