from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError

from .formsets import BoundedInlineFormSet
from .models import Call, DeadlineExtension, Organisation, RecommenderQuota, User


class TolerantAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete box, which looks the posted value up to show it again: a value that
    is not an id ("abc" for a number) is left out of the lookup instead of failing it, and the
    form says the choice is invalid."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        valid = []
        for choice in value:
            try:
                target.to_python(choice)
            except (ValidationError, TypeError, ValueError):
                continue
            valid.append(choice)
        return super().optgroups(name, valid, attr)


class TolerantForeignKeys:
    """For a ModelAdmin or inline: its autocomplete boxes tolerate any posted value."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TolerantAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Organisation)
class OrganisationAdmin(TolerantForeignKeys, admin.ModelAdmin):
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
class UserAdmin(TolerantForeignKeys, BaseUserAdmin):
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


class DeadlineExtensionInline(TolerantForeignKeys, admin.TabularInline):
    model = DeadlineExtension
    extra = 0
    #: Bounds what one save builds; a call with more extensions still shows them all.
    formset, max_num = BoundedInlineFormSet, 100
    autocomplete_fields = ["organisation"]
    readonly_fields = ["granted_by", "created_at"]


class RecommenderQuotaInline(TolerantForeignKeys, admin.TabularInline):
    model = RecommenderQuota
    extra = 0
    formset, max_num = BoundedInlineFormSet, 100  # one per recommender: about 45
    autocomplete_fields = ["organisation"]


@admin.register(Call)
class CallAdmin(TolerantForeignKeys, admin.ModelAdmin):
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
