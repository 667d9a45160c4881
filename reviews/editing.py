"""The edit page of an item and the page that confirms its submission, once for every kind.

附件1 and 附件2 are filled, saved (保存草稿, autosave) and submitted through the same steps; what
differs between them (the form and its lists of rows, the templates, the words) is the kind's
`Editor`, declared by its form's app and found through ``ItemKind.editor``. The URLconf gives
each page its kind; submitting goes through the workflow, imported here from this floor.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from shanghai_experts.forms import StaleVersion, autosave, section_status
from shanghai_experts.http import kept_copy_saved
from shanghai_experts.items import ItemKind
from shanghai_experts.permissions import permission_required
from shanghai_experts.pledge import PLEDGE, confirm_submission

from .engine.workflow import refusal, transition


def _item(request, pk, *, kind: ItemKind):
    """The item of `kind`, with what its pages print; its rule (reviews.edit_item) lets only
    the unit that owns it in."""
    return get_object_or_404(kind.model.objects.for_item_page(), pk=pk)


@permission_required("reviews.edit_item", fn=_item)
def edit(request, item, pk, *, kind: ItemKind):
    """The unit fills its form. 保存草稿 and the autosave keep what is on the page; 提交 saves
    it too, then (when the workflow's refusal finds nothing missing) opens the confirmation."""
    editor = kind.editor
    if not item.is_editable:
        messages.info(request, f"当前状态为“{item.get_state_display()}”，不能修改。")
        return redirect(item)
    if request.method != "POST":
        return _render_edit(request, editor.bundle(item))

    bundle = editor.bundle(item, data=request.POST)
    action = request.POST.get("action")
    if action == "autosave":
        return autosave(bundle)
    if not bundle.is_valid():
        messages.error(request, "未保存：以下内容格式有误，请更正后再保存。")
        bundle.summary = bundle.format_summary()
        return _render_edit(request, bundle)
    try:
        item = bundle.save_checked()
    except StaleVersion:
        return _render_edit(request, bundle, stale=True)
    kept_copy_saved(request)  # the browser's copy of what was sent need not be offered back
    if action != "submit":
        messages.success(request, "草稿已保存。")
        return redirect(editor.edit_url, pk=item.pk)
    reason = refusal(item, "submit", request.user)
    if reason:
        return _not_submitted(request, item, reason)
    return redirect(editor.submit_url, pk=item.pk)


@permission_required("reviews.edit_item", fn=_item)
def submit(request, item, pk, *, kind: ItemKind):
    """提交, confirmed: what will be sent and to whom, and the 信用承诺 the unit ticks. The
    submission carries the version previewed, so a form saved since (another tab) is refused."""
    editor = kind.editor
    if not item.is_editable:
        messages.info(request, f"当前状态为“{item.get_state_display()}”，不能提交。")
        return redirect(item)
    reason = refusal(item, "submit", request.user)
    if reason:
        return _not_submitted(request, item, reason)
    response, form = confirm_submission(
        request,
        item,
        transition=transition,
        action="submit",
        here=reverse(editor.submit_url, args=[item.pk]),
        done=editor.done,
        what=editor.what,
    )
    if response:
        return response
    context = {editor.item_name: item, "form": form, "pledge": PLEDGE}
    return render(request, editor.submit_template, {**context, **editor.submit_context(item)})


def _not_submitted(request, item, reason: str):
    """The edit page again, each problem on its box."""
    item.refresh_from_db()
    fresh = item.item_kind.editor.bundle(item)
    fresh.attach(item.submission_problems())
    messages.error(request, f"草稿已保存，但未能提交：{reason}")
    return _render_edit(request, fresh)


def _render_edit(request, bundle, *, stale=False):
    """`stale`: the save was refused because the form was saved elsewhere since the page was
    opened; the page offers the latest version, beside which the typing can be restored."""
    item = bundle.item
    editor = item.item_kind.editor
    context = {
        editor.item_name: item,
        "bundle": bundle,
        "form": bundle.form,
        "sections": section_status(item.submission_problems(), bundle.sections),
        "stale": stale,
        **bundle.formsets,
    }
    return render(request, editor.edit_template, context)
