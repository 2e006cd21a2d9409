"""A local stand-in for the SMS providers' APIs, for the official SDKs pointed at 127.0.0.1.

One ``StandIn`` per provider (``"aliyun"`` or ``"tencent"``), a tiny threading ``http.server``
that answers as the provider's API does: ``SendSms`` (Alibaba Cloud: RPC style, the action in
the query or the ``x-acs-action`` header, parameters in the query or the form body; Tencent
Cloud: JSON body, the action in ``X-TC-Action``) and the delivery status APIs
(``QuerySendDetails``, ``PullSmsSendStatus``). Signatures are not checked.

``mode`` decides the next answers to SendSms: ``"ok"``, ``"error"`` (a provider error code),
``"throttle"`` (the provider's frequency control), ``"slow"`` (answers after ``slow_seconds``,
beyond the client's time-out). ``sent`` keeps what SendSms received (phone, template, params);
``reports`` (message id → delivered?) feeds the status APIs.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class StandIn:
    def __init__(self, provider: str) -> None:
        assert provider in {"aliyun", "tencent"}
        self.provider = provider
        self.mode = "ok"
        self.slow_seconds = 1.6
        self.sent: list[dict[str, Any]] = []
        self.reports: dict[str, bool] = {}
        self.calls: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    # --- life -------------------------------------------------------------------------------
    def start(self) -> StandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    # Tencent's SDK reads an error body only under exactly this type.
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (time-out)
                    pass

            def do_GET(self) -> None:
                self._handle(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._handle(self.rfile.read(length) if length else b"")

            def _handle(self, body: bytes) -> None:
                if standin.provider == "aliyun":
                    status, answer = standin._aliyun(self.path, dict(self.headers), body)
                else:
                    status, answer = standin._tencent(dict(self.headers), body)
                self._answer(status, answer)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _slow(self) -> None:
        if self.mode == "slow":
            time.sleep(self.slow_seconds)

    # --- Alibaba Cloud ----------------------------------------------------------------------
    def _aliyun(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        lower = {k.lower(): v for k, v in headers.items()}
        params = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        if body and "json" not in lower.get("content-type", ""):
            params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
        action = lower.get("x-acs-action") or params.get("Action", "")
        self.calls.append(action)
        request_id = str(uuid.uuid4())
        if action == "SendSms":
            self._slow()
            if self.mode == "error":
                return 200, {
                    "Code": "isv.SMS_TEMPLATE_ILLEGAL",
                    "Message": "该账号下找不到对应模板",
                    "RequestId": request_id,
                }
            if self.mode == "throttle":
                return 200, {
                    "Code": "isv.BUSINESS_LIMIT_CONTROL",
                    "Message": "触发分钟级流控Permits:1",
                    "RequestId": request_id,
                }
            biz_id = f"{int(time.time())}{len(self.sent):04d}^0"
            self.sent.append(
                {
                    "id": biz_id,
                    "phone": params.get("PhoneNumbers"),
                    "sign": params.get("SignName"),
                    "template": params.get("TemplateCode"),
                    "params": json.loads(params.get("TemplateParam") or "{}"),
                }
            )
            return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}
        if action == "QuerySendDetails":
            biz_id = params.get("BizId", "")
            details = []
            if biz_id in self.reports:
                delivered = self.reports[biz_id]
                details.append(
                    {
                        "PhoneNum": params.get("PhoneNumber"),
                        "SendStatus": 3 if delivered else 2,
                        "ErrCode": "DELIVERED" if delivered else "MK:0001",
                        "TemplateCode": "SMS_1",
                        "Content": "",
                        "SendDate": "2026-12-03 10:00:00",
                        "ReceiveDate": "2026-12-03 10:00:05",
                        "OutId": "",
                    }
                )
            return 200, {
                "Code": "OK",
                "Message": "OK",
                "RequestId": request_id,
                "TotalCount": len(details),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
            }
        return 404, {"Code": "InvalidAction.NotFound", "Message": action, "RequestId": request_id}

    # --- Tencent Cloud ----------------------------------------------------------------------
    def _tencent(self, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        lower = {k.lower(): v for k, v in headers.items()}
        action = lower.get("x-tc-action", "")
        self.calls.append(action)
        data = json.loads(body or b"{}")
        request_id = str(uuid.uuid4())
        if action == "SendSms":
            self._slow()
            if self.mode == "error":
                return 200, {
                    "Response": {
                        "Error": {
                            "Code": "FailedOperation.TemplateIncorrectOrUnapproved",
                            "Message": "template is not approved",
                        },
                        "RequestId": request_id,
                    }
                }
            phone = (data.get("PhoneNumberSet") or [""])[0]
            if self.mode == "throttle":
                status = {
                    "SerialNo": "",
                    "PhoneNumber": phone,
                    "Fee": 0,
                    "SessionContext": "",
                    "Code": "LimitExceeded.PhoneNumberThirtySecondLimit",
                    "Message": "the number of sms messages sent to a single number in 30 s",
                    "IsoCode": "CN",
                }
                return 200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}}
            serial = f"2640:{uuid.uuid4().int % 10**18}"
            self.sent.append(
                {
                    "id": serial,
                    "phone": phone,
                    "sign": data.get("SignName"),
                    "app": data.get("SmsSdkAppId"),
                    "template": data.get("TemplateId"),
                    "params": data.get("TemplateParamSet"),
                }
            )
            status = {
                "SerialNo": serial,
                "PhoneNumber": phone,
                "Fee": 1,
                "SessionContext": "",
                "Code": "Ok",
                "Message": "send success",
                "IsoCode": "CN",
            }
            return 200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}}
        if action == "PullSmsSendStatus":
            pulled = [
                {
                    "UserReceiveTime": "2026-12-03 10:00:05",
                    "CountryCode": "86",
                    "SubscriberNumber": "",
                    "PhoneNumber": "",
                    "SerialNo": serial,
                    "ReportStatus": "SUCCESS" if delivered else "FAIL",
                    "Description": "DELIVRD" if delivered else "UNDELIV",
                    "SessionContext": "",
                }
                for serial, delivered in self.reports.items()
            ]
            self.reports = {}  # a queue: each report is pulled once
            return 200, {"Response": {"PullSmsSendStatusSet": pulled, "RequestId": request_id}}
        return 200, {
            "Response": {
                "Error": {"Code": "InvalidAction", "Message": action},
                "RequestId": request_id,
            }
        }
