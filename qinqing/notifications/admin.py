from django.contrib import admin

from qinqing.notifications.models import Delivery, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["recipient", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ["notification", "channel", "address", "status", "attempts", "sent_at"]
    list_filter = ["channel", "status"]
    raw_id_fields = ["notification"]
