"""Pieces every API router uses: the error body, documented error responses, the acting user."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.http.request import RawPostDataException
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.parser import Parser
from pydantic import ConfigDict, Field
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core import ValidationError as PydanticValidationError

from cuakhau.core.actors import Actor
from cuakhau.core.errors import DomainError, FieldError
from cuakhau.core.text import Text, language_key


class InputSchema(Schema):
    """A request body: a field the API does not know is refused (422), not silently dropped, so
    that a misspelt field name is reported instead of losing the value."""

    model_config = ConfigDict(extra="forbid")


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
    "unreadable": Text(
        "Không đọc được nội dung gửi lên.",
        "The request body could not be read.",
        "无法读取请求内容。",
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
    "string_unicode": Text(
        "Văn bản chứa ký tự không hợp lệ.",
        "The text contains invalid characters.",
        "文本包含无效字符。",
    ),
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
    "datetime_range": Text(
        "Ngày giờ nằm ngoài khoảng cho phép.", "The date is out of range.", "日期超出允许范围。"
    ),
    "control_characters": Text(
        "Không được chứa ký tự điều khiển.",
        "Control characters are not allowed.",
        "不能包含控制字符。",
    ),
    "invalid_unicode": Text(
        "Văn bản chứa ký tự không hợp lệ.",
        "The text contains invalid characters.",
        "文本包含无效字符。",
    ),
    "duplicate_parameter": Text(
        "Tham số này chỉ được gửi một lần.",
        "Send this parameter once.",
        "此参数只能发送一次。",
    ),
    "greater_than_equal": Text("Giá trị quá nhỏ.", "The value is too small.", "数值过小。"),
    "less_than_equal": Text("Giá trị quá lớn.", "The value is too large.", "数值过大。"),
    "literal_error": Text(
        "Giá trị không nằm trong danh sách cho phép.",
        "The value is not one of the allowed values.",
        "该值不在允许范围内。",
    ),
    "json_invalid": Text("JSON không hợp lệ.", "Invalid JSON.", "JSON 无效。"),
    "model_attributes_type": Text(
        "Phải là một đối tượng JSON.", "Must be a JSON object.", "必须为 JSON 对象。"
    ),
    "dict_type": Text(
        "Phải là một đối tượng JSON.", "Must be a JSON object.", "必须为 JSON 对象。"
    ),
    "list_type": Text("Phải là một danh sách.", "Must be a list.", "必须为列表。"),
    "finite_number": Text("Phải là số hữu hạn.", "Must be a finite number.", "必须为有限数字。"),
}
GENERIC_INVALID = Text("Giá trị không hợp lệ.", "Invalid value.", "无效值。")


def pydantic_field_errors(errors: list[dict[str, Any]]) -> list[FieldError]:
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ninja prefixes the source: ("body", "payload", "trips", "0", …) for the body, whose
        # parameter name means nothing to a client; ("query", "gate") or ("path", "code") for
        # parameters, whose name is the field.
        if loc and loc[0] == "body":
            loc = loc[2:]
        elif loc and loc[0] in ("query", "path", "header", "cookie", "form", "file"):
            loc = loc[1:]
        kind = str(error.get("type", ""))
        if kind == "too_long" and error.get("ctx", {}).get("field_type") != "List":
            kind = "string_too_long"  # a length checked after cleaning: text, not a list
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


class QueryParser(Parser):
    """ninja's parser, except that a single-valued query parameter sent twice is refused
    (ninja would silently keep the last one) instead of guessing which one was meant."""

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        repeated: list[InitErrorDetails] = []
        for key in data:
            values = data.getlist(key)
            if key in list_fields:
                result[key] = values
            elif len(values) > 1:
                repeated.append(
                    InitErrorDetails(
                        type=PydanticCustomError("duplicate_parameter", "sent more than once"),
                        loc=(key,),
                        input=values,
                    )
                )
            else:
                result[key] = values[0]
        if repeated:
            raise PydanticValidationError.from_exception_data("query", repeated)
        return result


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
        errors = pydantic_field_errors(list(exc.errors))
        return reply(
            request, 422, "invalid_input", MESSAGES["invalid"].format(count=len(errors)), errors
        )

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = reply(request, 401, "unauthorized", MESSAGES["unauthorized"])
        response["WWW-Authenticate"] = 'Bearer realm="cuakhau"'
        return response

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return reply(request, 404, "not_found", MESSAGES["not_found"])

    # Django raises these while reading a form or multipart body (for the CSRF check, say) and
    # would answer with its HTML error page or a 500 (a multipart body, once read as a form,
    # cannot be read again as JSON); an API client gets the error body instead.
    @api.exception_handler(MultiPartParserError)
    @api.exception_handler(RawPostDataException)
    @api.exception_handler(UnreadablePostError)
    @api.exception_handler(BadRequest)
    def unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
        return reply(request, 400, "bad_request", MESSAGES["unreadable"])

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Logged where Django would log it (too many fields, request too big, …).
        logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        return reply(request, 400, "bad_request", MESSAGES["unreadable"])

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        if status == 403 and "CSRF" in str(exc):
            return reply(request, 403, "csrf_failed", MESSAGES["csrf"])
        key = {400: "bad_request", 403: "forbidden", 404: "not_found", 429: "too_many"}.get(
            status, "bad_request"
        )
        return reply(request, status, key, MESSAGES[key])


class Pagination(LimitOffsetPagination):
    """``limit`` (1–500, default 100) and ``offset``; counts and slices in the database."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=500)
        offset: int = Field(0, ge=0, le=1_000_000_000)


class Presented:
    """A queryset whose rows are turned into API shapes only once a page is cut from it, so a
    list endpoint reads and presents one page, never the whole scope."""

    def __init__(self, queryset: QuerySet[Any], present: Callable[[list[Any]], list[Any]]):
        self.queryset = queryset
        self.present = present

    def all(self) -> Presented:
        return self

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[Any]:
        return self.present(list(self.queryset[page]))
