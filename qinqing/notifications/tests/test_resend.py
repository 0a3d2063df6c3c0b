import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from qinqing.accounts.models import User
from qinqing.notifications.models import Delivery
from qinqing.notifications.services import notify

pytestmark = pytest.mark.django_db


class Failing:
    def send(self, *, address: str, title: str, body: str) -> None:
        raise ConnectionError("gateway down")


def test_a_failed_delivery_stays_visible_and_an_administrator_can_send_it_again(settings, enterprise_user):
    settings.QINQING_SMS_BACKEND = "qinqing.notifications.tests.test_resend.Failing"
    from django.db import transaction

    with transaction.atomic():
        note = notify(recipient=enterprise_user, kind="decision", title="测试", body="正文")
    delivery = Delivery.objects.get(notification=note, channel="sms")
    from qinqing.notifications.services import deliver

    with pytest.raises(ConnectionError):
        deliver(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "gateway down" in delivery.last_error

    settings.QINQING_SMS_BACKEND = "qinqing.notifications.backends.LogBackend"
    admin_user = User.objects.get(username="admin")
    request = RequestFactory().post("/admin/notifications/delivery/")
    request.user = admin_user
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    model_admin = site._registry[Delivery]
    model_admin.resend(request, Delivery.objects.filter(pk=delivery.pk))
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 2
