from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qinqing.notifications.models import Delivery, Notification
from qinqing.notifications.services import deliver


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["recipient", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ["notification", "channel", "address", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["channel", "status"]
    raw_id_fields = ["notification"]
    actions = ["resend"]

    @admin.action(description=_("Send the selected deliveries again"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        sent = failed = 0
        for delivery in queryset.select_related("notification").exclude(status=Delivery.Status.SENT):
            try:
                deliver(delivery=delivery)
            except Exception:  # recorded on the row by deliver()
                failed += 1
            else:
                sent += 1
        messages.info(request, _("%(sent)d sent, %(failed)d failed.") % {"sent": sent, "failed": failed})
