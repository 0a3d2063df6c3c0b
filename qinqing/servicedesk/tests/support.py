"""Helpers of the desk tests: demo D小二 by name, service hours that are always open, a chat handed to a human."""

from __future__ import annotations

from typing import Any

import pytest

from qinqing.accounts.models import User
from qinqing.cases.tests.support import enterprise
from qinqing.servicedesk.models import Conversation
from qinqing.servicedesk.services import chat

ALWAYS_OPEN = {"opens": "00:00", "closes": "23:59:59"}
NEVER_OPEN_NOW = {"opens": "00:00", "closes": "00:00:01"}


@pytest.fixture
def open_hours(settings: Any) -> None:
    settings.QINQING_SERVICE_HOURS = ALWAYS_OPEN


def staff(username: str) -> User:
    return User.objects.select_related("desk").get(username=username)


def changhe_enterprise() -> User:
    """杭州滨江智联科技有限公司, 长河街道: its dedicated D小二 is changhe_dxe."""
    return enterprise(0)


def puyan_enterprise() -> User:
    return enterprise(1)


def human_chat(user: User | None = None, text: str = "转人工") -> Conversation:
    user = user or changhe_enterprise()
    conversation = chat.open_conversation(user=user)
    chat.post_message(conversation=conversation, user=user, text=text)
    conversation.refresh_from_db()
    return conversation
