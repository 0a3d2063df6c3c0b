from django.urls import path

from qinqing.cases import views
from qinqing.cases.roster import views as roster_views

app_name = "cases"
urlpatterns = [
    path("apply/<str:code>/", views.apply, name="apply"),
    path("cases/", views.my_cases, name="my_cases"),
    path("cases/<int:pk>/", views.detail, name="detail"),
    path("cases/<int:pk>/materials/", views.add_materials, name="add_materials"),
    path("cases/<int:pk>/materials/<int:material_id>/", views.material, name="material"),
    path("cases/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("cases/<int:pk>/decision/", views.decide, name="decide"),
    path("licences/", views.my_licences, name="my_licences"),
    path("licences/keys/", views.licence_keys, name="licence_keys"),
    path("licences/keys/<str:name>", views.licence_key_file, name="licence_key_file"),
    path("licences/<str:number>/pdf/", views.licence_download, name="licence_pdf"),
    path("verify/", views.verify, name="verify"),
    path("verify/<str:number>/", views.verify, name="verify_number"),
    path("review/", views.workbench, name="workbench"),
    path("cases/<int:pk>/roster/", roster_views.upload, name="roster_upload"),
    path("cases/<int:pk>/roster/<int:roster_id>/", roster_views.progress, name="roster_progress"),
    path("cases/<int:pk>/roster/<int:roster_id>/result.xlsx", roster_views.result, name="roster_result"),
    path("roster/template.xlsx", roster_views.template, name="roster_template"),
]
