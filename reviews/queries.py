"""The recommender's queue and the bureau's list: one query shape for every list page."""

from django import forms
from django.db.models import Count, Q

from applications.models import Application, Category
from shanghai_experts.models import Organisation

from .states import State

QUEUE_STATES = [(s.value, s.label) for s in State if s != State.DRAFT]


class QueueFilter(forms.Form):
    state = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *QUEUE_STATES]
    )
    category = forms.ChoiceField(
        label="类别", required=False, choices=[("", "全部类别"), *Category.choices]
    )
    field = forms.CharField(label="服务领域", required=False, max_length=50)
    q = forms.CharField(label="名称或单位", required=False, max_length=50)
    recommender = forms.ModelChoiceField(
        label="推荐单位",
        required=False,
        queryset=Organisation.objects.filter(
            kind__in=[*Organisation.RECOMMENDER_KINDS, Organisation.Kind.MUNICIPAL]
        ),
        empty_label="全部推荐单位",
    )
    sort = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[
            ("", "推荐单位与排序"),
            ("-submitted_at", "提交时间（新→旧）"),
            ("name", "名称"),
        ],
    )

    def __init__(self, *args, bureau: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not bureau:
            del self.fields["recommender"]
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )

    def apply(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data.get("state"):
            qs = qs.filter(state=data["state"])
        if data.get("category"):
            qs = qs.filter(category=data["category"])
        if data.get("field"):
            qs = qs.filter(service_field__icontains=data["field"])
        if data.get("q"):
            qs = qs.filter(Q(name__icontains=data["q"]) | Q(unit__name__icontains=data["q"]))
        if data.get("recommender"):
            qs = qs.filter(recommender=data["recommender"])
        if data.get("sort"):
            qs = qs.order_by(data["sort"], "id")
        return qs


def queue(user):
    """Items past submission that the user's organisation may act on or see."""
    return (
        Application.objects.visible_to(user)
        .exclude(state=State.DRAFT)
        .select_related("unit", "recommender", "call")
        .only(
            "id",
            "name",
            "state",
            "category",
            "service_field",
            "submitted_at",
            "updated_at",
            "recommender_rank",
            "call__year",
            "unit__name",
            "unit__short_name",
            "recommender__name",
            "recommender__short_name",
            "recommender__kind",
        )
        .order_by("recommender_id", "recommender_rank", "-submitted_at", "id")
    )


def summary_by_recommender(call):
    """Counts per recommender and category for the bureau's overview."""
    rows = (
        Application.objects.filter(call=call)
        .exclude(state=State.DRAFT)
        .values("recommender__short_name", "recommender__name")
        .annotate(
            total=Count("id"),
            national=Count("id", filter=Q(category=Category.NATIONAL)),
            municipal=Count("id", filter=Q(category=Category.MUNICIPAL)),
            recommended=Count(
                "id",
                filter=~Q(
                    state__in=[
                        State.SUBMITTED,
                        State.UNDER_REVIEW,
                        State.RETURNED,
                        State.NOT_RECOMMENDED,
                    ]
                ),
            ),
        )
        .order_by("recommender__kind", "recommender__id")
    )
    return list(rows)
