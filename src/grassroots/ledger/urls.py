from django.urls import path

from grassroots.ledger import plan, views

urlpatterns = [
    path("", views.ledger_home, name="ledger-home"),
    path("templates/<str:kind>.xlsx", views.template_download, name="ledger-template"),
    path("imports/<int:pk>/", views.import_page, name="ledger-import"),
    path("imports/<int:pk>/progress/", views.import_progress, name="ledger-import-progress"),
    path("imports/<int:pk>/mapping/", views.import_mapping, name="ledger-import-mapping"),
    path("imports/<int:pk>/start/", views.import_start, name="ledger-import-start"),
    path("imports/<int:pk>/errors/", views.import_errors, name="ledger-import-errors"),
    path("export/residents.xlsx", views.export_residents_view, name="ledger-export-residents"),
    path("plan/", plan.plan_import_page, name="ledger-plan"),
    path("plan/export/", plan.plan_export, name="ledger-plan-export"),
    path("export/cases.xlsx", views.export_cases_view, name="ledger-export-cases"),
    path("export/households.xlsx", views.export_households_view, name="ledger-export-households"),
    path("export/organisations.xlsx", views.export_organisations_view, name="ledger-export-organisations"),
    path("export/visits.xlsx", views.export_visits_view, name="ledger-export-visits"),
    path("export/care-register.xlsx", views.export_care_register_view, name="ledger-export-care-register"),
]
