from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.template.defaulttags import querystring
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from shanghai_experts import visibility
from shanghai_experts.states import STATE_COLOURS, State
from shanghai_experts.visibility import shown_state

register = template.Library()

STATE_LABELS = dict(State.choices)


@register.simple_tag(takes_context=True)
def state_badge(context, item):
    """A coloured badge for the item's state as the viewer may see it (shanghai_experts.visibility:
    a decision the bureau has not announced shows as 已推荐至市人社局)."""
    user = context.get("user")
    state = shown_state(item, getattr(user, "organisation", None))
    return format_html(
        '<span class="badge text-bg-{} state-badge" data-testid="state">{}</span>',
        STATE_COLOURS.get(state, "secondary"),
        STATE_LABELS.get(state, state),
    )


@register.simple_tag(takes_context=True)
def may_see(context, item, aspect):
    """{% may_see item "funding" as shown %}: the visibility rule, for a template."""
    user = context.get("user")
    return visibility.may_see(getattr(user, "organisation", None), item, aspect)


@register.filter
def tick(value) -> str:
    """☑ for a chosen box, ☐ otherwise, as the paper form prints them."""
    return "☑" if value else "☐"


@register.filter
def contains(values, value) -> bool:
    return value in (values or [])


@register.filter
def field_cols(bound_field) -> str:
    """Grid width for a field in a row of a list (roster, places, budget)."""
    widget = bound_field.field.widget.__class__.__name__
    if widget == "CheckboxSelectMultiple":
        return "col-12 inline-choices"
    if widget == "CheckboxInput":
        return "col-6 col-md-2 pt-md-4"
    return "col-12 col-md-4 col-lg-3"


@register.simple_tag
def filter_errors(form):
    """The filters a list could not apply, named in Chinese; the others stay in force
    (shanghai_experts.widgets.ListFilter.chosen)."""
    if not form.is_bound or not form.errors:
        return ""
    lines = format_html_join(
        "",
        "<div>{}：{}（此条件未生效）</div>",
        (
            (field.label, error)
            for name, field in form.fields.items()
            for error in form.errors.get(name, ())
        ),
    )
    return format_html(
        '<div class="alert alert-warning py-1 small mb-2" role="alert" '
        'data-testid="filter-errors">{}</div>',
        lines,
    )


@register.simple_tag
def filter_cells(fields, width: str = "col-6 col-md-2", hidden: str = ""):
    """A list's filter box, a cell a field: its label above it, a tick box's beside it; the
    field named `hidden` travels as a hidden input. `fields`: a filter form or some of its
    fields. One pass in Python: the template loop cost a list page half a millisecond."""
    cells = []
    for bound in fields:
        if bound.name == hidden:
            cells.append(bound.as_hidden())
        elif isinstance(bound.field.widget, forms.CheckboxInput):
            cells.append(
                format_html(
                    '<div class="{}"><div class="form-check mb-1">{}<label class="form-check-label'
                    ' small" for="{}">{}</label></div></div>',
                    width,
                    bound,
                    bound.id_for_label,
                    bound.label,
                )
            )
        else:
            cells.append(
                format_html(
                    '<div class="{}"><label class="form-label small mb-0" for="{}">{}</label>{}'
                    "</div>",
                    width,
                    bound.id_for_label,
                    bound.label,
                    bound,
                )
            )
    return mark_safe("".join(cells))


@register.simple_tag(takes_context=True)
def pager(context, page, unit: str = "条"):
    """上一页 / 第 n / m 页，共 N 条 / 下一页 for any list, its filters kept in the links. A
    capped list (shanghai_experts.paging) says "2000+" and asks to be narrowed."""
    paginator = page.paginator
    count = getattr(paginator, "count_label", paginator.count)
    note = (
        format_html("（仅列出前 {} {}，请用筛选缩小范围）", paginator.count, unit)
        if getattr(paginator, "capped", False)
        else ""
    )
    link = '<li class="page-item"><a class="page-link" href="{}">{}</a></li>'
    return format_html(
        '<nav aria-label="分页" class="d-flex justify-content-end mb-3">'
        '<ul class="pagination pagination-sm mb-0">{}<li class="page-item disabled">'
        '<span class="page-link">第 {} / {} 页，共 {} {}{}</span></li>{}</ul></nav>',
        format_html(link, querystring(context, page=page.previous_page_number()), "上一页")
        if page.has_previous()
        else "",
        page.number,
        paginator.num_pages,
        count,
        unit,
        note,
        format_html(link, querystring(context, page=page.next_page_number()), "下一页")
        if page.has_next()
        else "",
    )


@register.filter
def minute(value) -> str:
    """A timestamp as lists show it, 2026-01-19 09:30 in Shanghai time.

    The same as |date:"Y-m-d H:i", without the locale machinery that makes that filter the
    costliest cell of a 50-row list.
    """
    if not value:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@register.filter
def mask_phone(value) -> str:
    """A phone number as lists show it to those who do not need it: 138****1234.

    Mobiles keep their first three and last four digits; other numbers keep the area code
    and the last four. Item pages and the exports the notice requires show the full number.
    """
    text = str(value or "").strip()
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    if len(digits) < 7:
        return "*" * len(text)
    keep_head = 3 if text.startswith("1") else text.find("-") + 1 if "-" in text else 3
    hidden = {i for i in digits[:-4] if i >= keep_head}
    return "".join("*" if i in hidden else c for i, c in enumerate(text))


WIDGET_CLASSES = {
    "TextInput": "textinput form-control",
    "NumberInput": "numberinput form-control",
    "EmailInput": "emailinput form-control",
    "DateInput": "dateinput form-control",
    "Textarea": "textarea form-control",
    "Select": "select form-select",
    "RecommenderSelect": "select form-select",
    "CheckboxInput": "checkboxinput form-check-input",
}


#: The visible marker of a box that must be filled, explained above the form
#: (includes/form_sections.html). A screen reader hears aria-required instead; a group of tick
#: boxes, which cannot carry it, says 必填 in its legend.
REQUIRED_MARK = mark_safe(' <span class="required-mark" aria-hidden="true">*</span>')
REQUIRED_GROUP_MARK = mark_safe(f'{REQUIRED_MARK}<span class="visually-hidden">（必填）</span>')


def is_required(bound_field) -> bool:
    """A box the user must fill: required by the form itself, or (a draft form accepts blanks)
    named in the form's `required_on_submit`, the fields its submission rules require."""
    return bound_field.field.required or bound_field.name in getattr(
        bound_field.form, "required_on_submit", ()
    )


def _choice_boxes(bound_field, input_type: str, invalid: str, described: str) -> str:
    """The boxes of a multiple-choice or single-choice field, each with its own label. In a
    row, each box names its row and list (服务专家名单第 2 行·人才计划与荣誉·两院院士)."""
    group = bound_field.field.widget.attrs.get("aria-label", "")
    return format_html_join(
        "",
        '<div class="form-check"><input type="{}" class="form-check-input{}" '
        'name="{}" value="{}" id="{}"{}{}{}><label for="{}" class="form-check-label">{}</label>'
        "</div>",
        (
            (
                input_type,
                invalid,
                box.data["name"],
                box.data["value"],
                box.id_for_label,
                " checked" if box.data["selected"] else "",
                format_html(' aria-label="{}·{}"', group, box.choice_label) if group else "",
                described,
                box.id_for_label,
                box.choice_label,
            )
            for box in bound_field.subwidgets
        ),
    )


@register.simple_tag
def bs_field(bound_field):
    """One form field in Bootstrap 5 markup, rendered in one pass.

    The markup is crispy-forms' own (the same ids, classes, labels and error blocks); the 附件1
    page holds some 80 fields with its list rows, and crispy's nested templates made them its
    costliest part. A box the user must fill (is_required) carries a visible * and
    aria-required; its hint and errors are tied to it by aria-describedby. Widgets not handled
    here fall back to crispy.
    """
    widget = bound_field.field.widget
    kind = widget.__class__.__name__
    field_id = bound_field.auto_id
    errors = list(bound_field.errors)
    invalid = " is-invalid" if errors else ""
    required = is_required(bound_field)
    mark = REQUIRED_MARK if required else ""
    feedback = format_html_join(
        "",
        '<span id="error_{}_{}" class="invalid-feedback d-block"><strong>{}</strong></span>',
        ((i, field_id, e) for i, e in enumerate(errors, start=1)),
    )
    hint_id = f"{field_id}_helptext"  # the id Django's widgets point aria-describedby at
    hint = (
        format_html('<div id="{}" class="form-text">{}</div>', hint_id, bound_field.help_text)
        if bound_field.help_text
        else ""
    )
    described_ids = [f"error_{i}_{field_id}" for i in range(1, len(errors) + 1)]
    if bound_field.help_text:
        described_ids.append(hint_id)
    attrs = {"class": WIDGET_CLASSES.get(kind, "") + invalid}
    if described_ids:
        attrs["aria-describedby"] = " ".join(described_ids)
    if errors:
        attrs["aria-invalid"] = "true"
    if kind == "CheckboxInput":
        control = bound_field.as_widget(attrs=attrs)
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check">{}'
            '<label for="{}" class="form-check-label">{}</label>{}</div>{}</div>',
            field_id,
            control,
            field_id,
            bound_field.label,
            feedback,
            hint,
        )
    if kind in ("CheckboxSelectMultiple", "RadioSelect"):
        described = (
            format_html(' aria-describedby="{}"', attrs["aria-describedby"])
            if described_ids
            else ""
        )
        radio = kind == "RadioSelect"
        boxes = _choice_boxes(bound_field, "radio" if radio else "checkbox", invalid, described)
        # A group of radio buttons may say it is required (role radiogroup); a group of tick
        # boxes says so in its legend's hidden text.
        group_attrs = ' role="radiogroup" aria-required="true"' if radio and required else ""
        if required and not radio:
            mark = REQUIRED_GROUP_MARK
        return format_html(
            '<div id="div_{}" class="mb-3"><fieldset{}><legend class="form-label fs-6">{}{}'
            "</legend><div>{}</div>{}{}</fieldset></div>",
            field_id,
            mark_safe(group_attrs),
            bound_field.label,
            mark,
            boxes,
            feedback,
            hint,
        )
    if kind not in WIDGET_CLASSES:
        return as_crispy_field(bound_field)
    if required:
        attrs["aria-required"] = "true"
    control = bound_field.as_widget(attrs=attrs)
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}{}</label>{}{}{}</div>',
        field_id,
        field_id,
        bound_field.label,
        mark,
        control,
        feedback,
        hint,
    )
