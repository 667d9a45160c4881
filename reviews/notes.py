"""Internal notes on an item, between its recommender and the bureau (never the unit)."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from records import audit
from shanghai_experts import visibility
from shanghai_experts.items import WorkflowError

from .models import Note

MAX_LENGTH = 2000


def notes_for(item, organisation):
    if not visibility.may_see(organisation, item, "notes"):
        return Note.objects.none()
    return Note.objects.filter(
        content_type=ContentType.objects.get_for_model(type(item)), object_id=item.pk
    ).select_related("author", "organisation")


def add_note(item, *, user, text: str, client_ip=None) -> Note:
    text = (text or "").replace("\x00", "").strip()
    if not visibility.may_see(user.organisation, item, "notes"):
        raise WorkflowError("只有推荐单位和市人社局可以填写内部意见。")
    if not text:
        raise WorkflowError("内部意见：请填写内容。")
    if len(text) > MAX_LENGTH:
        raise WorkflowError(f"内部意见：不超过 {MAX_LENGTH} 字。")
    with transaction.atomic():
        note = Note.objects.create(
            content_type=ContentType.objects.get_for_model(type(item)),
            object_id=item.pk,
            author=user,
            organisation=user.organisation,
            text=text,
        )
        audit.record(
            item,
            action="note",
            label="内部意见",
            user=user,
            comment=text,
            client_ip=client_ip,
            state=item.state,
        )
    return note
