from django.urls import path

from grassroots.privacy import views

urlpatterns = [
    path("mine/", views.my_data, name="privacy-mine"),
    path("mine/file/", views.my_data_file, name="privacy-mine-file"),
    path("requests/", views.request_list, name="privacy-requests"),
    path("requests/<int:pk>/", views.request_detail, name="privacy-request"),
    path("people/<int:pk>/", views.person_data, name="privacy-person"),
    path("people/<int:pk>/file/", views.person_data_file, name="privacy-person-file"),
    path("people/<int:pk>/consent/", views.person_consent, name="privacy-consent"),
]
