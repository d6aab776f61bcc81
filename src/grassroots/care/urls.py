from django.urls import path

from grassroots.care import views

urlpatterns = [
    path("", views.care_home, name="care-home"),
    path("worklist/", views.worklist, name="care-worklist"),
    path("tasks/", views.tasks, name="care-tasks"),
    path("register/", views.register, name="care-register"),
    path("flags/", views.flags, name="care-flags"),
    path("services/", views.planned_services, name="care-services"),
    path("rate/", views.rate, name="care-rate"),
    path("access/", views.access_log, name="care-access"),
    path("campaigns/", views.campaigns, name="care-campaigns"),
    path("campaigns/new/", views.campaign_new, name="care-campaign-new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="care-campaign"),
    path("campaigns/<int:pk>/assign/", views.campaign_assign, name="care-campaign-assign"),
    path("households/<int:household_pk>/visit/", views.visit_new, name="care-visit-new"),
    path("households/<int:household_pk>/enrol/", views.enrol, name="care-enrol"),
    path("visits/<int:pk>/", views.visit_detail, name="care-visit"),
    path("visits/<int:pk>/case/", views.visit_case, name="care-visit-case"),
    path("people/<int:pk>/take/", views.person_take, name="care-person-take"),
    path("people/<int:pk>/tier/", views.person_tier, name="care-person-tier"),
    path("people/<int:pk>/situation/", views.person_situation, name="care-person-situation"),
    path("programmes/", views.programmes, name="care-programmes"),
    path("programmes/<int:pk>/", views.programme_detail, name="care-programme"),
    path("enrolments/<int:pk>/", views.enrolment_detail, name="care-enrolment"),
    path("services/<int:pk>/record/", views.service_record, name="care-service-record"),
    path("services/<int:pk>/done/", views.service_done, name="care-service-done"),
    path("services/<int:pk>/missed/", views.service_missed, name="care-service-missed"),
]
