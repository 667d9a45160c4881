from django.urls import path

from . import views

app_name = "bases"

urlpatterns = [
    path("", views.base_list, name="list"),
    path("new/", views.base_form, name="create"),
    path("<int:pk>/edit/", views.base_form, name="edit"),
    path("open/", views.open_assessments, name="open"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("assessments/<int:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("assessments/<int:pk>/rectification/", views.rectification, name="rectification"),
]
