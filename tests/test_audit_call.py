"""One audit call: records.audit.record writes every event, and nothing else builds a record."""

import ast
import pathlib

import pytest
from django.contrib.auth.models import AnonymousUser

from records import audit
from records.models import AuditRecord
from shanghai_experts.states import State

from .factories import CompleteApplicationFactory, UserFactory

ROOT = pathlib.Path(__file__).resolve().parent.parent
APPS = ("shanghai_experts", "records", "applications", "bases", "reviews", "accounts", "portal")
#: The one module that may build an AuditRecord.
THE_CALL = ROOT / "records" / "audit.py"


def builds_records(path: pathlib.Path) -> list[int]:
    """The lines of `path` that build an audit record by hand: AuditRecord(…), or a create or
    bulk_create on its manager."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        if (
            name == "AuditRecord"
            or name.startswith("AuditRecord.objects.")
            and (name.endswith(".create") or name.endswith(".bulk_create"))
        ):
            found.append(node.lineno)
    return sorted(found)


def test_no_module_builds_an_audit_record_by_hand():
    modules = [
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path != THE_CALL
    ]
    assert len(modules) > 100
    by_hand = {
        str(path.relative_to(ROOT)): lines for path in modules if (lines := builds_records(path))
    }
    assert by_hand == {}


def test_the_check_sees_a_record_built_by_hand(tmp_path):
    module = tmp_path / "by_hand.py"
    module.write_text(
        "AuditRecord.objects.create(action='x')\nrows = [AuditRecord(action='y')]\n"
        "AuditRecord.objects.bulk_create(rows)\n",
        encoding="utf-8",
    )
    assert builds_records(module) == [1, 2, 3]
    assert builds_records(THE_CALL) != []


@pytest.mark.django_db
def test_a_step_on_an_item_names_the_item_the_actor_and_the_state(call):
    item = CompleteApplicationFactory(call=call, state=State.RECOMMENDED)
    user = UserFactory(organisation=item.recommender)
    entry = audit.record(
        item,
        action="rank",
        label="推荐排序",
        user=user,
        comment="排序 — → 1",
        client_ip="10.0.0.1",
        state=item.state,
    )
    entry = AuditRecord.objects.get(pk=entry.pk)
    assert (entry.item, entry.action, entry.action_label, entry.outcome) == (
        item,
        "rank",
        "推荐排序",
        AuditRecord.Outcome.SUCCESS,
    )
    assert (entry.from_state, entry.to_state) == (State.RECOMMENDED, State.RECOMMENDED)
    assert (entry.actor, entry.username, entry.organisation) == (
        user,
        user.get_username(),
        item.recommender,
    )
    assert (entry.comment, entry.client_ip) == ("排序 — → 1", "10.0.0.1")


@pytest.mark.django_db
def test_an_event_of_nobody_logged_in_keeps_the_name_as_typed():
    entry = audit.record(
        action="login_failed_with_a_name_longer_than_the_field",
        label="登录失败",
        outcome=audit.FAILED,
        user=AnonymousUser(),
        username="x" * 200,
    )
    entry = AuditRecord.objects.get(pk=entry.pk)
    assert entry.item is None and entry.actor is None and entry.organisation is None
    assert entry.username == "x" * 150
    assert entry.action == "login_failed_with_a_name_longer_"  # cut to the field's 32
    assert (entry.from_state, entry.to_state, entry.outcome) == ("", "", "failed")
