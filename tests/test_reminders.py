"""Reminders before each deadline: to those who still have to act, once per deadline and day,
moved by an extension."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from reviews import reminders
from reviews.engine import services, workflow
from reviews.models import DeadlineReminder
from shanghai_experts.models import parse_reminder_days
from shanghai_experts.states import State

from .factories import (
    AssessmentFactory,
    BureauFactory,
    CompleteApplicationFactory,
    UnitFactory,
    UserFactory,
)

DAY = datetime.timedelta(days=1)


def run(django_capture_on_commit_callbacks, now):
    with django_capture_on_commit_callbacks(execute=True):
        return reminders.queue_reminders(now=now)


def sent_to(address):
    return [m for m in mail.outbox if address in m.to]


@pytest.fixture
def people(call):
    unit = UnitFactory()
    clerk = UserFactory(organisation=unit, email="clerk@example.org")
    office = UserFactory(organisation=unit.district, email="office@example.org")
    return {"unit": unit, "clerk": clerk, "office": office}


@pytest.mark.django_db
def test_a_unit_with_a_draft_is_reminded_3_and_1_days_before_once_each(
    call, people, django_capture_on_commit_callbacks
):
    CompleteApplicationFactory(call=call, unit=people["unit"])
    deadline = call.unit_deadline
    assert run(django_capture_on_commit_callbacks, deadline - 4 * DAY) == 0
    assert (
        run(django_capture_on_commit_callbacks, deadline - 3 * DAY + datetime.timedelta(minutes=1))
        == 1
    )
    # The next runs that day send nothing again.
    assert (
        run(django_capture_on_commit_callbacks, deadline - 2 * DAY - datetime.timedelta(hours=1))
        == 0
    )
    assert (
        run(django_capture_on_commit_callbacks, deadline - DAY + datetime.timedelta(minutes=1)) == 1
    )
    assert run(django_capture_on_commit_callbacks, deadline - datetime.timedelta(hours=2)) == 0
    assert run(django_capture_on_commit_callbacks, deadline + DAY) == 0
    notices = sent_to("clerk@example.org")
    assert [n.subject for n in notices] == [
        "【专家服务基层项目】申报截止提醒：还有 3 天，1 份材料未提交",
        "【专家服务基层项目】申报截止提醒：还有 1 天，1 份材料未提交",
    ]
    local = timezone.localtime(deadline)
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in notices[0].body
    assert "http" in notices[0].body


@pytest.mark.django_db
def test_a_unit_that_submitted_is_not_reminded(call, people, django_capture_on_commit_callbacks):
    app = CompleteApplicationFactory(call=call, unit=people["unit"])
    workflow.transition(app, "submit", user=people["clerk"])
    mail.outbox.clear()
    run(django_capture_on_commit_callbacks, call.unit_deadline - DAY)
    assert sent_to("clerk@example.org") == []


@pytest.mark.django_db
def test_reached_late_a_unit_gets_one_reminder_not_one_per_day_passed(
    call, people, django_capture_on_commit_callbacks
):
    CompleteApplicationFactory(call=call, unit=people["unit"])
    assert (
        run(django_capture_on_commit_callbacks, call.unit_deadline - datetime.timedelta(hours=5))
        == 1
    )
    assert (
        run(django_capture_on_commit_callbacks, call.unit_deadline - datetime.timedelta(hours=4))
        == 0
    )
    assert len(sent_to("clerk@example.org")) == 1
    assert DeadlineReminder.objects.get().days == 1


@pytest.mark.django_db
def test_an_extension_moves_a_units_reminders(call, people, django_capture_on_commit_callbacks):
    CompleteApplicationFactory(call=call, unit=people["unit"])
    bureau = UserFactory(organisation=BureauFactory())
    later = call.unit_deadline + 5 * DAY
    services.grant_extension(
        call=call, organisation=people["unit"], deadline=later, reason="系统故障", user=bureau
    )
    # Three days before the call's deadline: this unit's is eight days away.
    assert run(django_capture_on_commit_callbacks, call.unit_deadline - 3 * DAY + DAY / 24) == 0
    assert run(django_capture_on_commit_callbacks, later - 3 * DAY + DAY / 24) == 1
    local = timezone.localtime(later)
    assert f"{local.month}月{local.day}日" in sent_to("clerk@example.org")[0].body


@pytest.mark.django_db
def test_a_recommender_with_items_to_decide_is_reminded_until_it_decides(
    call, people, django_capture_on_commit_callbacks
):
    app = CompleteApplicationFactory(call=call, unit=people["unit"])
    app = workflow.transition(app, "submit", user=people["clerk"])
    mail.outbox.clear()
    deadline = call.recommender_deadline
    assert run(django_capture_on_commit_callbacks, deadline - 3 * DAY + DAY / 24) == 1
    notice = sent_to("office@example.org")[0]
    assert "1 个项目待受理或待决定是否推荐" in notice.body
    app = workflow.transition(app, "accept", user=people["office"])
    workflow.transition(app, "recommend", user=people["office"], comment="同意")
    mail.outbox.clear()
    assert run(django_capture_on_commit_callbacks, deadline - DAY + DAY / 24) == 0
    assert sent_to("office@example.org") == []


@pytest.mark.django_db
def test_a_rectifying_base_is_reminded_before_its_date_and_not_after_its_report(
    call, django_capture_on_commit_callbacks
):
    assessment = AssessmentFactory(call=call)
    UserFactory(organisation=assessment.unit, email="base@example.org")
    due = timezone.localdate() + datetime.timedelta(days=10)
    type(assessment).objects.filter(pk=assessment.pk).update(
        state=State.RECTIFYING, rectify_deadline=due
    )
    # The report is due by the end of that day, Shanghai time.
    end = datetime.datetime.combine(due + DAY, datetime.time(), timezone.get_current_timezone())
    assert run(django_capture_on_commit_callbacks, end - 3 * DAY - DAY / 24) == 0
    assert run(django_capture_on_commit_callbacks, end - 3 * DAY + DAY / 24) == 1
    notice = sent_to("base@example.org")[0]
    assert notice.subject == "【专家服务基层项目】整改期限提醒：还有 3 天"
    assert f"{due:%Y年%-m月%-d日}" in notice.body and str(assessment.base) in notice.body
    type(assessment).objects.filter(pk=assessment.pk).update(state=State.RECTIFICATION_SUBMITTED)
    assert run(django_capture_on_commit_callbacks, end - DAY + DAY / 24) == 0


@pytest.mark.django_db
def test_no_reminder_days_on_the_call_sends_none(call, people, django_capture_on_commit_callbacks):
    call.reminder_days = ""
    call.save()
    CompleteApplicationFactory(call=call, unit=people["unit"])
    assert run(django_capture_on_commit_callbacks, call.unit_deadline - DAY / 2) == 0


def test_the_days_are_read_in_chinese_or_refused_naming_the_value():
    assert parse_reminder_days("3，1, 7") == [7, 3, 1]
    with pytest.raises(ValidationError, match="“x”不是 1 到 60 之间的天数"):
        parse_reminder_days("3,x")
