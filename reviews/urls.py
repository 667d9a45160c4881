from django.urls import path

from . import item_views, reviewer_views, views
from .views.columns import list_columns

app_name = "reviews"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("totals/", views.queue_totals, name="totals"),
    path("columns/", list_columns, name="columns"),
    path("ranking/", views.ranking, name="ranking"),
    path("summary/", views.summary, name="summary"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("export.xlsx", views.export_list, name="export"),
    path("extensions/", views.extensions, name="extensions"),
    path("quotas/", views.quotas, name="quotas"),
    path("review-deadline/", views.review_deadline, name="review_deadline"),
    path("national/", views.national_order, name="national_order"),
    path("publish/", views.publish, name="publish"),
    path("assign/", reviewer_views.assign, name="assign"),
    path("progress/", reviewer_views.progress, name="progress"),
    path("sheets/<id:pk>/reopen/", reviewer_views.reopen, name="reopen_sheet"),
    path("mine/", reviewer_views.my_reviews, name="my_reviews"),
    path("mine/<id:pk>/", reviewer_views.review, name="review"),
    path("mine/<id:pk>/pdf/", reviewer_views.review_pdf, name="review_pdf"),
    path("audit/", views.audit_log, name="audit"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("mail/", views.failing_mail, name="failing_mail"),
    path("<id:pk>/funding/", views.funding, name="funding"),
    path("<id:pk>/pdf/", views.item_pdf, name="pdf"),
    path("<id:pk>/project-notice/", item_views.project_notice, name="project_notice"),
    path("assessment/<id:pk>/pdf/", views.item_pdf, {"kind": "assessment"}, name="assessment_pdf"),
    path("pdfs.zip", views.zip_pdfs, name="zip"),
    path("filing/", views.filing_page, name="filing"),
    path("filing/letter.pdf", views.letter, name="letter"),
    path("paper/", views.paper_page, name="paper"),
    path("<id:pk>/paper/", views.item_paper, name="item_paper"),
    path(
        "assessment/<id:pk>/paper/",
        views.item_paper,
        {"kind": "assessment"},
        name="assessment_item_paper",
    ),
    path("<id:pk>/scans/", views.upload_scan, name="upload_scan"),
    path(
        "assessment/<id:pk>/scans/",
        views.upload_scan,
        {"kind": "assessment"},
        name="assessment_upload_scan",
    ),
    path("scans/<id:pk>/", views.download_scan, name="scan"),
    path("<id:pk>/score/", views.score, name="score"),
    path("<id:pk>/notes/", views.add_note, name="note"),
    path(
        "assessment/<id:pk>/notes/", views.add_note, {"kind": "assessment"}, name="assessment_note"
    ),
    path(
        "assessment/<id:pk>/rectification/submit/",
        views.rectification_submit,
        name="rectification_submit",
    ),
    path("<id:pk>/<slug:action>/", views.act, name="act"),
    path(
        "assessment/<id:pk>/<slug:action>/",
        views.act,
        {"kind": "assessment"},
        name="act_assessment",
    ),
]
