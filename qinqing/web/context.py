from typing import Any

from django.http import HttpRequest

from qinqing.notifications.models import Notification


def site(request: HttpRequest) -> dict[str, Any]:
    """Values every page's layout needs: the user's unread count."""
    user: Any = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = Notification.objects.visible_to(user).unread().count()
    return {"unread_count": unread}
