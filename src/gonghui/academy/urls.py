"""Member H5 pages under /m/academy/."""

from django.urls import path

from . import views

app_name = "academy"
urlpatterns = [
    path("", views.course_list, name="list"),
    path("<int:pk>/", views.course_detail, name="course"),
    path("<int:pk>/enrol", views.enrol, name="enrol"),
    path("<int:pk>/lessons/<int:lesson_pk>/", views.lesson_detail, name="lesson"),
    path("<int:pk>/lessons/<int:lesson_pk>/done", views.lesson_done, name="lesson_done"),
    path("<int:pk>/quizzes/<int:quiz_pk>/", views.quiz, name="quiz"),
    path("certificates/", views.my_certificates, name="certificates"),
    path("certificates/<str:number>.pdf", views.certificate_pdf, name="certificate_pdf"),
]
