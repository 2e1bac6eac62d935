"""The refusals every app raises: one base with field errors, and "not yours to see".

Pages put a refusal's messages on their form's fields (`ServiceForm.add_service_errors`), the API
answers it as 422 JSON with the same {field: message} (`fupin.api`); nothing else translates them.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_noop

# What pages and the API say when the database refuses a write because another one got there first (a unique
# constraint, a deadlock): the API answers it with 409 (fupin.api), pages with the conflict page
# (fupin.core.middleware.ConflictMiddleware).
CONFLICT_MESSAGE = gettext_noop("与已有数据冲突（可能有人同时修改了同一记录），未作任何修改；请刷新后重试")

# A text longer than its column holds, in the words a change request's member and the field app's edits give
TOO_LONG = "最多{max_length}个字符"


class ServiceError(ValueError):
    """A refused action, in Chinese: `errors` maps field names (or "__all__") to messages.

    `ServiceError("原因")` refuses as a whole, `ServiceError({"amount": "金额不能为负数"})` or
    `ServiceError("原因", fields={...})` points at fields. str() joins every message.
    """

    def __init__(self, message: str | dict = "", fields: dict | None = None) -> None:
        errors = dict(message) if isinstance(message, dict) else ({"__all__": message} if message else {})
        errors.update(fields or {})
        self.errors = errors
        super().__init__("；".join(str(v) for v in errors.values()))


class ScopeError(PermissionDenied):
    """The user may not act on this record (outside their region or role); pages and the API answer 404."""
