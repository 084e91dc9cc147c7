"""Pieces every API router uses: the error body, documented error responses, the acting user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from cuakhau.core.actors import Actor
from cuakhau.core.errors import DomainError, FieldError
from cuakhau.core.text import Text, language_key


class FieldErrorOut(Schema):
    field: str
    code: str
    message: str
    messages: dict[str, str]


class ErrorOut(Schema):
    code: str
    message: str
    messages: dict[str, str]
    errors: list[FieldErrorOut] = []


# Every operation may answer with these; OpenAPI lists them so clients (and fuzzers) know.
COMMON_ERRORS = (400, 401, 403, 404, 422)


def responses(
    ok: dict[int, Any] | None = None, *extra: int, public: bool = False
) -> dict[int, Any]:
    codes = {400, 404, 422} if public else set(COMMON_ERRORS)
    out: dict[int, Any] = dict.fromkeys(sorted(codes | set(extra)), ErrorOut)
    out.update(ok or {})
    return out


def actor_of(request: HttpRequest) -> Actor:
    token = getattr(request, "api_token", None)
    user = request.auth  # type: ignore[attr-defined]
    if token is not None:
        return Actor(user=user, kind="token", label=f"{user.get_username()} / {token.name}")
    return Actor.of(user)


MESSAGES = {
    "unauthorized": Text(
        "Cần đăng nhập hoặc mã truy cập API hợp lệ.",
        "Sign in, or send a valid API token.",
        "请登录或提供有效的 API 令牌。",
    ),
    "forbidden": Text("Không có quyền.", "Forbidden.", "无权限。"),
    "csrf": Text(
        "Phiên làm việc đã hết hạn hoặc thiếu mã CSRF. Hãy tải lại trang.",
        "The session expired or the CSRF token is missing. Reload the page.",
        "会话已过期或缺少 CSRF 令牌。请刷新页面。",
    ),
    "bad_request": Text(
        "Không đọc được nội dung gửi lên (JSON không hợp lệ).",
        "The request body could not be read (invalid JSON).",
        "无法读取请求内容（JSON 无效）。",
    ),
    "not_found": Text("Không tìm thấy.", "Not found.", "未找到。"),
    "invalid": Text(
        "Dữ liệu chưa hợp lệ: {count} lỗi cần sửa.",
        "The input is not valid: {count} error(s) to fix.",
        "输入数据无效：有 {count} 处错误需要更正。",
    ),
    "too_many": Text(
        "Quá nhiều yêu cầu, hãy thử lại sau.",
        "Too many requests; try again later.",
        "请求过多，请稍后再试。",
    ),
}

# Pydantic's error types, said for a clerk rather than a programmer.
PYDANTIC_MESSAGES: dict[str, Text] = {
    "missing": Text("Bắt buộc nhập.", "Required.", "必填。"),
    "extra_forbidden": Text(
        "Trường này không được hỗ trợ.", "This field is not supported.", "不支持此字段。"
    ),
    "string_too_long": Text("Quá dài.", "Too long.", "过长。"),
    "too_long": Text("Quá nhiều mục.", "Too many items.", "项目过多。"),
    "string_type": Text("Phải là chuỗi ký tự.", "Must be text.", "必须为文本。"),
    "decimal_parsing": Text("Phải là số.", "Must be a number.", "必须为数字。"),
    "decimal_type": Text("Phải là số.", "Must be a number.", "必须为数字。"),
    "int_parsing": Text("Phải là số nguyên.", "Must be a whole number.", "必须为整数。"),
    "int_type": Text("Phải là số nguyên.", "Must be a whole number.", "必须为整数。"),
    "bool_parsing": Text("Phải là đúng/sai.", "Must be true or false.", "必须为真或假。"),
    "bool_type": Text("Phải là đúng/sai.", "Must be true or false.", "必须为真或假。"),
    "datetime_parsing": Text(
        "Ngày giờ không đúng định dạng (ví dụ 2026-11-23T08:00+07:00).",
        "Not a valid date and time (e.g. 2026-11-23T08:00+07:00).",
        "日期时间格式无效（如 2026-11-23T08:00+07:00）。",
    ),
    "decimal_max_digits": Text("Số quá lớn.", "The number is too large.", "数字过大。"),
    "decimal_max_places": Text(
        "Quá nhiều chữ số thập phân.", "Too many decimal places.", "小数位数过多。"
    ),
}
GENERIC_INVALID = Text("Giá trị không hợp lệ.", "Invalid value.", "无效值。")


def _pydantic_field_errors(errors: list[dict[str, Any]]) -> list[FieldError]:
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ninja prefixes the parameter source and name ("body", "payload"): drop them.
        while loc and loc[0] in ("body", "query", "path", "header", "cookie", "form"):
            loc = loc[2:] if len(loc) > 1 else []
        kind = str(error.get("type", ""))
        text = PYDANTIC_MESSAGES.get(kind)
        if text is None:
            detail = str(error.get("msg", ""))
            text = Text(
                f"{GENERIC_INVALID.vi} ({detail})",
                f"{GENERIC_INVALID.en} ({detail})",
                f"{GENERIC_INVALID.zh}（{detail}）",
            )
        out.append(FieldError(".".join(loc) or "body", kind or "invalid", text))
    return out


def error_body(
    request: HttpRequest, code: str, message: Text, errors: list[FieldError] | None = None
) -> dict[str, Any]:
    language = language_key(getattr(request, "LANGUAGE_CODE", None))
    return {
        "code": code,
        "message": message.get(language),
        "messages": message.as_dict(),
        "errors": [e.as_dict(language) for e in errors or []],
    }


def install_error_handlers(api: NinjaAPI) -> None:
    def reply(
        request: HttpRequest,
        status: int,
        code: str,
        message: Text,
        errors: list[FieldError] | None = None,
    ) -> HttpResponse:
        return api.create_response(
            request, error_body(request, code, message, errors), status=status
        )

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return reply(request, exc.status, exc.code, exc.message, exc.errors)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = _pydantic_field_errors(list(exc.errors))
        return reply(
            request, 422, "invalid_input", MESSAGES["invalid"].format(count=len(errors)), errors
        )

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = reply(request, 401, "unauthorized", MESSAGES["unauthorized"])
        response["WWW-Authenticate"] = 'Bearer realm="cuakhau"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        if status == 403 and "CSRF" in str(exc):
            return reply(request, 403, "csrf_failed", MESSAGES["csrf"])
        key = {400: "bad_request", 403: "forbidden", 404: "not_found", 429: "too_many"}.get(
            status, "bad_request"
        )
        return reply(request, status, key, MESSAGES[key])
