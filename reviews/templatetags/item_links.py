"""Links to the review engine's pages of one item, whichever kind it is (ItemKind.url)."""

from django import template

register = template.Library()


@register.simple_tag
def item_url(item, name, *args):
    """`{% item_url item "upload_scan" %}`: the engine's URL `name` for `item` (reviews:
    upload_scan for 附件1, reviews:assessment_upload_scan for 附件2); further arguments
    follow the item's pk (`{% item_url item "act" t.action %}`)."""
    return item.item_kind.url(name, item.pk, *args)
