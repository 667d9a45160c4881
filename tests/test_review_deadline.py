"""The review deadline (评审截止时间): the bureau sets it, reviewers read it, a late submission
is refused until the bureau moves it, and each open reviewer is reminded before it, once per
threshold, by the outbox."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from reviews import deadlines, reviewers, scoring
from reviews.engine.workflow import WorkflowError
from reviews.models import AuditRecord, OutboundMail, ReviewAssignment, ScoreSheet
from shanghai_experts.models import Call, Organisation

from .factories import BureauFactory, UserFactory
from .test_reviewers import recommended, sheet_data


@pytest.fixture
def panel(db):
    org = Organisation.objects.create(kind=Organisation.Kind.REVIEWERS, name="市人社局评审专家组")
    return [
        UserFactory(organisation=org, username=f"expert{n}", first_name=f"专家{n}")
        for n in range(4)
    ]


@pytest.fixture
def bureau_user(db):
    return UserFactory(organisation=BureauFactory())


def set_deadline(call, when):
    Call.objects.filter(pk=call.pk).update(review_deadline=when)
    call.refresh_from_db()


def declare(app, reviewer, recuse=False):
    reviewers.declare(
        ReviewAssignment.objects.get(application=app, reviewer=reviewer),
        user=reviewer,
        recuse=recuse,
    )


def test_the_bureau_sets_the_deadline_and_reviewers_read_it_in_local_time(
    client, call, panel, bureau_user
):
    app = recommended(call)
    reviewers.assign([app], panel[:1], user=bureau_user)
    client.force_login(bureau_user)
    page = client.get(reverse("reviews:assign")).content.decode()
    assert "评审截止时间：未设置" in page and reverse("reviews:review_deadline") in page
    # No reason: refused, what was typed stays on the page.
    response = client.post(
        reverse("reviews:review_deadline"), {"deadline": "2026-12-20T17:30", "reason": ""}
    )
    assert response.status_code == 200
    assert "2026-12-20T17:30" in response.content.decode()
    call.refresh_from_db()
    assert call.review_deadline is None
    response = client.post(
        reverse("reviews:review_deadline"),
        {"deadline": "2026-12-20T17:30", "reason": "专家会议安排"},
        follow=True,
    )
    assert "评审截止时间已保存。" in response.content.decode()
    call.refresh_from_db()
    # Typed as Beijing time: 09:30 UTC.
    assert call.review_deadline == datetime.datetime(2026, 12, 20, 9, 30, tzinfo=datetime.UTC)
    record = AuditRecord.objects.get(action="review_deadline")
    assert record.comment == "未设置 → 2026年12月20日 17:30；专家会议安排"
    for url in (reverse("reviews:assign"), reverse("reviews:progress")):
        assert (
            "评审截止时间：<strong>2026年12月20日 17:30</strong>"
            in client.get(url).content.decode()
        )

    client.force_login(panel[0])
    for url in (reverse("reviews:my_reviews"), reverse("reviews:review", args=[app.pk])):
        assert (
            "评审截止时间：<strong>2026年12月20日 17:30</strong>"
            in client.get(url).content.decode()
        )
    # Only the bureau sets it.
    assert client.get(reverse("reviews:review_deadline")).status_code == 404
    assert (
        client.post(
            reverse("reviews:review_deadline"), {"deadline": "2026-12-30T17:30", "reason": "x"}
        ).status_code
        == 404
    )
    call.refresh_from_db()
    assert call.review_deadline.day == 20


def test_after_the_deadline_submitting_is_refused_until_the_bureau_moves_it(
    client, call, panel, bureau_user
):
    app = recommended(call)
    reviewers.assign([app], panel[:1], user=bureau_user)
    declare(app, panel[0])
    set_deadline(call, timezone.now() - datetime.timedelta(minutes=1))
    client.force_login(panel[0])
    url = reverse("reviews:review", args=[app.pk])
    page = client.get(url).content.decode()
    assert "已过截止时间" in page and "不能再提交评分" in page

    # 提交评分 on the sheet: refused before the confirmation, the typed points kept.
    typed = sheet_data(call, "7.5")
    del typed["confirmed"]
    page = client.post(url, typed).content.decode()
    assert f"评分未提交：评审截止时间（{scoring.shown_time(call.review_deadline)}）已过" in page
    assert "如需延期，请联系市人社局" in page
    assert "确认提交评分" not in page
    assert page.count('value="7.5"') == call.criteria.count()
    # A confirmation posted from a page opened before the deadline: refused too.
    page = client.post(url, sheet_data(call, "7.5"), follow=True).content.decode()
    assert "评分未提交：评审截止时间" in page
    # The service refuses it whatever page it comes from.
    with pytest.raises(WorkflowError, match="评审截止时间"):
        scoring.record_scores(
            app, reviewer=panel[0], points={c.pk: Decimal(7) for c in call.criteria.all()}
        )
    assert not ScoreSheet.objects.filter(submitted_at__isnull=False).exists()
    # A draft may still be saved.
    client.post(url, sheet_data(call, "7.5", action="save"))
    assert ScoreSheet.objects.get().submitted_at is None

    client.force_login(bureau_user)
    later = timezone.localtime(timezone.now() + datetime.timedelta(days=2))
    client.post(
        reverse("reviews:review_deadline"),
        {"deadline": later.strftime("%Y-%m-%dT%H:%M"), "reason": "延期两天"},
    )
    client.force_login(panel[0])
    page = client.post(url, sheet_data(call, "7.5", version=1), follow=True).content.decode()
    assert "评分已提交。" in page
    assert ScoreSheet.objects.get().total == Decimal("75.00")


def open_and_closed(call, panel, bureau_user):
    """One item, four reviewers: 0 has not declared, 1 has a draft, 2 submitted, 3 回避."""
    app = recommended(call)
    reviewers.assign([app], panel, user=bureau_user)
    for reviewer in panel[1:3]:
        declare(app, reviewer)
    declare(app, panel[3], recuse=True)
    scoring.record_scores(
        app,
        reviewer=panel[1],
        points={c.pk: Decimal(6) for c in call.criteria.all()},
        submit=False,
    )
    scoring.record_scores(
        app, reviewer=panel[2], points={c.pk: Decimal(8) for c in call.criteria.all()}
    )
    return app


def reminders():
    return [m for m in mail.outbox if "评审截止提醒" in m.subject]


def test_the_reminder_reaches_exactly_the_open_sheets_once(call, panel, bureau_user):
    app = open_and_closed(call, panel, bureau_user)
    # Two items for reviewer 0: still one message.
    second = recommended(call, name="第二个服务团")
    reviewers.assign([second], panel[:1], user=bureau_user)
    mail.outbox.clear()
    set_deadline(call, timezone.now() + datetime.timedelta(hours=60))
    call_command("send_notices")
    assert reminders() == []  # 60 h ahead: not yet

    set_deadline(call, timezone.now() + datetime.timedelta(hours=47))
    call_command("send_notices")
    sent = reminders()
    assert sorted(m.to[0] for m in sent) == [panel[0].email, panel[1].email]
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in sent)
    first = next(m for m in sent if m.to == [panel[0].email])
    assert "您还有 2 个项目尚未提交评分" in first.body
    assert app.name in first.body and second.name in first.body
    local = timezone.localtime(call.review_deadline)
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）" in first.body
    assert "您还有 1 个项目" in next(m for m in sent if m.to == [panel[1].email]).body

    call_command("send_notices")  # the next minute: nothing again
    assert len(reminders()) == 2
    # 24 h before: the second reminder, once.
    deadlines.queue_reminders(now=call.review_deadline - datetime.timedelta(hours=23))
    call_command("send_notices")
    deadlines.queue_reminders(now=call.review_deadline - datetime.timedelta(hours=22))
    call_command("send_notices")
    assert sorted(m.to[0] for m in reminders()[2:]) == [panel[0].email, panel[1].email]
    assert len(reminders()) == 4
    # After the deadline: no reminder.
    assert deadlines.queue_reminders(now=call.review_deadline + datetime.timedelta(minutes=1)) == 0


def test_a_reviewer_reached_late_gets_one_reminder_and_a_new_deadline_is_reminded_again(
    client, call, panel, bureau_user
):
    open_and_closed(call, panel, bureau_user)
    mail.outbox.clear()
    set_deadline(call, timezone.now() + datetime.timedelta(hours=20))  # past 48 and 24 at once
    call_command("send_notices")
    call_command("send_notices")
    assert sorted(m.to[0] for m in reminders()) == [panel[0].email, panel[1].email]
    # The bureau moves the deadline: its reminders go in their turn, once.
    client.force_login(bureau_user)
    later = timezone.localtime(timezone.now() + datetime.timedelta(hours=30))
    client.post(
        reverse("reviews:review_deadline"),
        {"deadline": later.strftime("%Y-%m-%dT%H:%M"), "reason": "延期"},
    )
    call_command("send_notices")
    call_command("send_notices")
    assert len(reminders()) == 4
    assert f"{later.year}年{later.month}月{later.day}日 {later:%H:%M}" in reminders()[-1].body


def test_a_run_that_finds_the_reminder_claimed_sends_nothing(call, panel, bureau_user):
    """The claim is the UPDATE in the notice's transaction: a second runner that reaches the same
    reviewer after the first finds the rows marked and writes no notice."""
    open_and_closed(call, panel, bureau_user)
    set_deadline(call, timezone.now() + datetime.timedelta(hours=10))
    assert deadlines.queue_reminders() == 2
    before = OutboundMail.objects.count()
    unreminded = deadlines.Q(reminded_hours__isnull=True) | deadlines.Q(reminded_hours__gt=24)
    assert deadlines._remind(call, panel[0].pk, 24, unreminded) == 0
    assert OutboundMail.objects.count() == before


def test_the_thresholds_come_from_the_settings(settings, call, panel, bureau_user):
    settings.REVIEW_REMINDER_HOURS = (72,)
    open_and_closed(call, panel, bureau_user)
    set_deadline(call, timezone.now() + datetime.timedelta(hours=60))
    assert deadlines.queue_reminders() == 2
    deadline = call.review_deadline
    assert deadlines.queue_reminders(now=deadline - datetime.timedelta(hours=20)) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_runs_at_once_send_each_reminder_once(call, panel, bureau_user):
    """Two cron runs that start together: every open reviewer gets one reminder in all."""
    more = [UserFactory(organisation=panel[0].organisation) for _ in range(8)]
    apps = [recommended(call) for _ in range(3)]
    reviewers.assign(apps, panel[:2] + more, user=bureau_user)
    set_deadline(call, timezone.now() + datetime.timedelta(hours=30))
    barrier = threading.Barrier(2)
    written = []

    def run():
        barrier.wait()
        try:
            written.append(deadlines.queue_reminders())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(written) == 10
    queued = OutboundMail.objects.filter(subject__contains="评审截止提醒")
    addresses = [m.recipients for m in queued]
    assert len(addresses) == 10 and all(len(to) == 1 for to in addresses)
    assert len({to[0] for to in addresses}) == 10


def test_one_run_reminds_a_bounded_number_of_reviewers(
    monkeypatch, call, panel, bureau_user, django_assert_max_num_queries
):
    """A run's cost is bounded: REMINDER_BATCH reviewers at most, each in a fixed number of
    queries whatever their number of items; the others are reminded the next minute."""
    monkeypatch.setattr(deadlines, "REMINDER_BATCH", 2)
    apps = [recommended(call) for _ in range(5)]
    reviewers.assign(apps, panel[:3], user=bureau_user)
    set_deadline(call, timezone.now() + datetime.timedelta(hours=30))
    # The calls, then per call the reviewers; per reviewer a savepoint, the lock, the mark, the
    # user, the names, the count, the outbox row and the release.
    with django_assert_max_num_queries(2 + 2 * 8):
        assert deadlines.queue_reminders() == 2
    assert deadlines.queue_reminders() == 1
    assert deadlines.queue_reminders() == 0
    body = OutboundMail.objects.order_by("pk").last().body
    assert "您还有 5 个项目尚未提交评分" in body
