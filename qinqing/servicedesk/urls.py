from django.urls import path

from qinqing.servicedesk import views

app_name = "servicedesk"

urlpatterns = [
    path("service/", views.enterprise_desk, name="desk"),
    path("service/workorders/", views.file_work_order, name="file"),
    path("service/workorders/<int:pk>/", views.order_page, name="order"),
    path("service/workorders/<int:pk>/action/", views.order_action, name="order_action"),
    path("service/chat/", views.open_chat, name="open_chat"),
    path("service/conversations/<int:pk>/", views.conversation_page, name="conversation"),
    path("service/conversations/<int:pk>/messages/", views.chat_messages, name="messages"),
    path("service/conversations/<int:pk>/action/", views.chat_action, name="chat_action"),
    path("service/conversations/<int:pk>/attachments/", views.chat_attachment, name="chat_attachment"),
    path("service/workorders/<int:pk>/attachments/", views.order_attachment, name="order_attachment"),
    path("service/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("service/handovers/<int:pk>/", views.decide_handover, name="handover"),
    path("service/rate/", views.rate, name="rate"),
    path("service/console/", views.console, name="console"),
    path("service/console/availability/", views.availability, name="availability"),
    path("service/supervise/", views.supervise, name="supervise"),
    path("service/supervise/report.xlsx", views.report_xlsx, name="report_xlsx"),
]
