from django.urls import path

from grassroots.people import views

urlpatterns = [
    path("people/", views.person_search, name="person-search"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
    path("people/<int:pk>/reveal/", views.person_reveal_view, name="person-reveal"),
]
