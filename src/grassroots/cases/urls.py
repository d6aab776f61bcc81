"""The case screens under /cases/: intake, patrol report, board, tasks, list, and each case's pages."""

from django.urls import path

from grassroots.cases import views, views_board, views_dispatch, views_intake, views_tasks

urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("intake/", views_intake.intake, name="case-intake"),
    path("intake/lookup/", views_intake.intake_lookup, name="case-intake-lookup"),
    path("intake/caller/", views_intake.intake_caller, name="case-intake-caller"),
    path("intake/place/", views_intake.place_picker, name="case-place-picker"),
    path("report/", views_intake.report, name="case-report"),
    path("questions/", views_intake.category_questions, name="case-questions"),
    path("places/households/", views_intake.place_households, name="case-place-households"),
    path("board/", views_board.board, name="case-board"),
    path("board/<str:number>/<str:action>/", views_board.board_act, name="case-board-act"),
    path("tasks/", views_tasks.tasks, name="case-tasks"),
    path("<str:number>/", views.case_detail, name="case-detail"),
    path("<str:number>/dispatch/", views_dispatch.case_dispatch_page, name="case-dispatch"),
    path("<str:number>/verify/", views.case_verify_page, name="case-verify"),
    path("<str:number>/act/<str:action>/", views.case_act, name="case-act"),
    path("<str:number>/attachments/<int:pk>/", views.case_attachment, name="case-attachment"),
]
