"""Outbound text messages (短信): one interface, two back ends, sent as background tasks with retries.

`queue(phone, template, params)` hands a message to the task queue (django.tasks), after the current
transaction commits, so a rolled-back action sends nothing. The task `deliver` calls the back end named by
FUPIN_SMS_BACKEND:

- "console" (default): the message is logged, and appended to FUPIN_SMS_FILE when that is set (one JSON object
a
  line), for the embedded default and for tests;
- "http": a POST of JSON {"phone", "template", "params", "sign"} to FUPIN_SMS_URL with the credentials
  FUPIN_SMS_KEY / FUPIN_SMS_SECRET (HTTP Basic), the template named by its id from FUPIN_SMS_TEMPLATES (a JSON
  object, e.g. {"code": "SMS_001"}): the shape of a gateway adapter in front of a provider's API.

A failed attempt is retried up to FUPIN_SMS_ATTEMPTS times with a growing pause. Logs show the phone masked
(138****5678) and never a one-time code.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils.translation import gettext

from . import crypto
from .idnumber import mask_phone

logger = logging.getLogger(__name__)
TASK_PURPOSE = "task:phone"  # the associated data of a phone sealed into a task argument

# The texts, by template name; a gateway is given the template id and the parameters, the console the text.
TEMPLATES = {
    "code": "【扶贫申报】验证码{code}，10分钟内有效。请勿告诉他人。",
    "received": "【扶贫申报】您的申报已受理，回执号{receipt}。村里将在{due}前入户核实。",
    "step": "【扶贫申报】回执号{receipt}：{step}。",
    "rejected": "【扶贫申报】回执号{receipt}：经核实不予纳入，原因：{reason}。如有异议可拨打12317。",
}
SECRET_PARAMS = {"code"}


class SmsError(RuntimeError):
    """The back end did not take the message."""


def render(template: str, params: dict) -> str:
    return TEMPLATES[template].format(**params)


def _shown(phone: str, template: str, params: dict) -> str:
    safe = {k: ("******" if k in SECRET_PARAMS else v) for k, v in params.items()}
    return f"{mask_phone(phone)} {template} {json.dumps(safe, ensure_ascii=False)}"


def _console(phone: str, template: str, params: dict) -> None:
    logger.info("SMS %s", _shown(phone, template, params))
    path = getattr(settings, "FUPIN_SMS_FILE", "")
    if path:
        line = json.dumps(
            {"phone": phone, "template": template, "params": params, "text": render(template, params)},
            ensure_ascii=False,
        )
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def _http(phone: str, template: str, params: dict) -> None:
    templates = getattr(settings, "FUPIN_SMS_TEMPLATES", {}) or {}
    body = json.dumps(
        {
            "phone": phone,
            "template": templates.get(template, template),
            "params": params,
            "sign": getattr(settings, "FUPIN_SMS_SIGN", ""),
        },
        ensure_ascii=False,
    ).encode()
    request = urllib.request.Request(
        settings.FUPIN_SMS_URL,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    key, secret = getattr(settings, "FUPIN_SMS_KEY", ""), getattr(settings, "FUPIN_SMS_SECRET", "")
    if key:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode())
    try:
        with urllib.request.urlopen(
            request, timeout=float(getattr(settings, "FUPIN_SMS_TIMEOUT", 5))
        ) as answer:
            if answer.status >= 300:
                raise SmsError(f"gateway answered {answer.status}")
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        raise SmsError(str(e)) from e


BACKENDS = {"console": _console, "http": _http}


def send_now(phone: str, template: str, params: dict) -> int:
    """Deliver one message, retrying; the number of attempts it took. SmsError once every attempt failed."""
    backend = BACKENDS[getattr(settings, "FUPIN_SMS_BACKEND", "console")]
    attempts = max(1, int(getattr(settings, "FUPIN_SMS_ATTEMPTS", 3)))
    pause = float(getattr(settings, "FUPIN_SMS_RETRY_SECONDS", 1.0))
    for attempt in range(1, attempts + 1):
        try:
            backend(phone, template, params)
            logger.info("SMS sent (attempt %d) %s", attempt, _shown(phone, template, params))
            return attempt
        except SmsError as e:
            logger.warning(
                "SMS attempt %d of %d failed: %s (%s)", attempt, attempts, e, _shown(phone, template, params)
            )
            if attempt < attempts:
                time.sleep(pause * attempt)
    raise SmsError(gettext("短信发送失败：%(phone)s") % {"phone": mask_phone(phone)})


@task
def deliver(phone: str, template: str, params: dict) -> int:
    # the queue's arguments are stored in the database: the phone goes in encrypted (fupin.core.crypto)
    return send_now(crypto.decrypt(phone, TASK_PURPOSE) or "", template, params)


def queue(phone: str, template: str, **params: object) -> None:
    """Send a message in the background once the current transaction has committed; nothing when `phone` is
    empty."""
    if not phone:
        return
    if template not in TEMPLATES:
        raise KeyError(template)
    params = {k: str(v) for k, v in params.items()}
    sealed = crypto.encrypt(phone, TASK_PURPOSE)
    transaction.on_commit(lambda: deliver.enqueue(sealed, template, params))
