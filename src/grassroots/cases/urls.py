"""The case screens under /cases/: intake, patrol report, board, tasks, list, and each case's pages."""

from django.urls import path

from grassroots.cases.views import board, case, dispatch, intake, tasks

urlpatterns = [
    path("", case.case_list, name="case-list"),
    path("intake/", intake.intake, name="case-intake"),
    path("intake/lookup/", intake.intake_lookup, name="case-intake-lookup"),
    path("intake/caller/", intake.intake_caller, name="case-intake-caller"),
    path("intake/new-resident/", intake.intake_new_resident, name="case-intake-new-resident"),
    path("intake/place/", intake.place_picker, name="case-place-picker"),
    path("intake/duplicates/", intake.intake_duplicates, name="case-intake-duplicates"),
    path("report/", intake.report, name="case-report"),
    path("questions/", intake.category_questions, name="case-questions"),
    path("places/households/", intake.place_households, name="case-place-households"),
    path("board/", board.board, name="case-board"),
    path("hotspots/raise/", board.hotspot_raise, name="case-hotspot-raise"),
    path("board/<str:number>/<str:action>/", board.board_act, name="case-board-act"),
    path("tasks/", tasks.tasks, name="case-tasks"),
    path("<str:number>/", case.case_detail, name="case-detail"),
    path("<str:number>/dispatch/", dispatch.case_dispatch_page, name="case-dispatch"),
    path("<str:number>/verify/", case.case_verify_page, name="case-verify"),
    path("<str:number>/act/<str:action>/", case.case_act, name="case-act"),
    path("<str:number>/links/<int:pk>/revoke/", case.case_link_revoke, name="case-link-revoke"),
    path("<str:number>/attachments/<int:pk>/", case.case_attachment, name="case-attachment"),
]
