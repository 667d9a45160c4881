"""The audit trail and the outbox move here from `reviews`: only Django's state moves; the
tables (reviews_auditrecord, reviews_outboundmail) stay as they are, with their triggers."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('reviews', '0022_assignment_reminded_hours'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('shanghai_experts', '0011_call_review_deadline'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OutboundMail',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('recipients', models.JSONField(verbose_name='收件人')),
                        ('subject', models.CharField(max_length=200, verbose_name='主题')),
                        ('body', models.TextField(verbose_name='正文')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='生成时间')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发送时间')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='尝试次数')),
                        ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='下次尝试')),
                        ('last_error', models.CharField(blank=True, max_length=300, verbose_name='最近错误')),
                    ],
                    options={
                        'verbose_name': '通知邮件',
                        'verbose_name_plural': '通知邮件',
                        'db_table': 'reviews_outboundmail',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(condition=models.Q(('sent_at__isnull', True)), fields=['next_attempt_at'], name='outbox_due')],
                    },
                ),
                migrations.CreateModel(
                    name='AuditRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('object_id', models.PositiveBigIntegerField(null=True)),
                        ('action', models.CharField(max_length=32, verbose_name='操作')),
                        ('action_label', models.CharField(max_length=40, verbose_name='操作名称')),
                        ('outcome', models.CharField(choices=[('success', '成功'), ('refused', '被拒绝'), ('failed', '失败')], default='success', max_length=12, verbose_name='结果')),
                        ('from_state', models.CharField(blank=True, choices=[('draft', '草稿'), ('submitted', '已提交，待推荐单位受理'), ('under_review', '推荐单位审核中'), ('returned', '已退回修改'), ('recommended', '已推荐至市人社局'), ('not_recommended', '未获推荐'), ('national_candidate', '拟推荐国家级'), ('municipal_team', '列入市级服务团'), ('not_selected', '未入选'), ('national_team', '列入国家级服务团'), ('commended', '通报表扬'), ('qualified', '合格'), ('rectifying', '限期整改'), ('rectification_submitted', '整改报告待审核'), ('rectified', '整改完成')], max_length=24, verbose_name='原状态')),
                        ('to_state', models.CharField(blank=True, choices=[('draft', '草稿'), ('submitted', '已提交，待推荐单位受理'), ('under_review', '推荐单位审核中'), ('returned', '已退回修改'), ('recommended', '已推荐至市人社局'), ('not_recommended', '未获推荐'), ('national_candidate', '拟推荐国家级'), ('municipal_team', '列入市级服务团'), ('not_selected', '未入选'), ('national_team', '列入国家级服务团'), ('commended', '通报表扬'), ('qualified', '合格'), ('rectifying', '限期整改'), ('rectification_submitted', '整改报告待审核'), ('rectified', '整改完成')], max_length=24, verbose_name='新状态')),
                        ('username', models.CharField(blank=True, max_length=150, verbose_name='登录名')),
                        ('comment', models.TextField(blank=True, verbose_name='意见')),
                        ('client_ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='来源地址')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='时间')),
                        ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                        ('content_type', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, to='contenttypes.contenttype')),
                        ('organisation', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, to='shanghai_experts.organisation', verbose_name='操作机构')),
                    ],
                    options={
                        'verbose_name': '审计记录',
                        'verbose_name_plural': '审计记录',
                        'db_table': 'reviews_auditrecord',
                        'ordering': ['created_at', 'id'],
                        'indexes': [models.Index(fields=['content_type', 'object_id', 'created_at'], name='reviews_aud_content_8f3754_idx'), models.Index(fields=['action', 'created_at'], name='audit_action_time')],
                    },
                ),
            ],
        ),
    ]
