from django.urls import path

from qinqing.policies import views

app_name = "policies"
urlpatterns = [
    path("policies/", views.index, name="index"),
    path("policies/for-me/", views.for_me, name="for_me"),
    path("policies/payouts/", views.payouts, name="payouts"),
    path("policies/payouts/<int:pk>/receipt.pdf", views.receipt, name="receipt"),
    path("policies/account/", views.account, name="account"),
    path("policies/manage/", views.manage, name="manage"),
    path("policies/manage/new/", views.new, name="new"),
    path("policies/manage/count/", views.live_count, name="live_count"),
    path("policies/manage/claims/<int:pk>/review/", views.review, name="review"),
    path("policies/manage/payouts/<int:pk>/reverse/", views.reverse, name="reverse"),
    path("policies/manage/<slug:code>/payouts/", views.manage_payouts, name="manage_payouts"),
    path("policies/manage/<slug:code>/", views.manage_detail, name="manage_detail"),
    path("policies/manage/<slug:code>/simulate/", views.simulate, name="simulate"),
    path("policies/manage/<slug:code>/<str:action>/", views.transition, name="transition"),
    path("policies/<slug:code>/", views.detail, name="detail"),
    path("policies/<slug:code>/claim/", views.claim, name="claim"),
]
