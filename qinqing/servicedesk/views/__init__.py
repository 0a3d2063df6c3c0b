"""Pages of the desk: the enterprise's 服务台, the chat panel's endpoints, the seat console, supervision.

One module per audience (`enterprise`, `chat`, `orders`, `staff`, `attachments`); the URLs name the views here.
"""

from qinqing.servicedesk.views.attachments import attachment_download, chat_attachment, order_attachment
from qinqing.servicedesk.views.chat import chat_action, chat_messages, conversation_page
from qinqing.servicedesk.views.enterprise import enterprise_desk, file_work_order, open_chat, rate
from qinqing.servicedesk.views.orders import decide_handover, order_action, order_page
from qinqing.servicedesk.views.staff import availability, console, report_xlsx, supervise

__all__ = [
    "attachment_download", "availability", "chat_action", "chat_attachment", "chat_messages", "console",
    "conversation_page", "decide_handover", "enterprise_desk", "file_work_order", "open_chat", "order_action",
    "order_attachment", "order_page", "rate", "report_xlsx", "supervise",
]
