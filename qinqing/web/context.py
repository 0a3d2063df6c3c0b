from typing import Any

from django.http import HttpRequest

from qinqing.accounts.http import optional_user
from qinqing.notifications.models import Notification


def site(request: HttpRequest) -> dict[str, Any]:
    """Values every page's layout needs: the user's unread count."""
    user = optional_user(request)
    unread = 0
    if user is not None:
        unread = Notification.objects.visible_to(user).unread().count()
    return {"unread_count": unread}
