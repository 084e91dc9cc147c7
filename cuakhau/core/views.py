"""Helpers every page uses: the reader's language, role checks, and domain errors shown as
friendly messages (never a 500)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language

from cuakhau.accounts.permissions import role_forbidden
from cuakhau.accounts.roles import Role
from cuakhau.core.actors import Actor
from cuakhau.core.errors import DomainError, NotAllowed, NotFound
from cuakhau.core.text import Text, language_key

T = TypeVar("T")
View = Callable[..., HttpResponse]


def language() -> str:
    """The reader's language as a ``Text`` key: vi, en or zh."""
    return language_key(get_language())


def say(text: Text) -> str:
    return text.get(language())


def actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)  # type: ignore[arg-type]


def role_required(*roles: Role) -> Callable[[View], View]:
    """Signed-in users with one of ``roles``; others see the 403 page naming who may."""
    allowed = frozenset(roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.role_enum not in allowed:  # type: ignore[union-attr]
                raise PermissionDenied(say(role_forbidden(allowed).message))
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def or_404(read: Callable[..., T], *args: Any) -> T:
    """Run a scoped selector; what the user may not see is simply not there."""
    try:
        return read(*args)
    except NotFound as error:
        raise Http404(say(error.message)) from None
    except NotAllowed as error:
        raise PermissionDenied(say(error.message)) from None


class Problem:
    """A domain error as a page shows it: one message and the messages of each field."""

    def __init__(self, error: DomainError) -> None:
        self.code = error.code
        self.status = error.status
        self.message = say(error.message)
        self.fields = {e.path: say(e.message) for e in error.errors}
        self.details = [say(e.message) for e in error.errors]

    def __str__(self) -> str:
        return self.message

    def for_field(self, path: str) -> str:
        return self.fields.get(path, "")


def describe(error: DomainError) -> str:
    """One line for a flash message: the message and, if any, what is wrong with each field."""
    problem = Problem(error)
    if problem.details:
        return f"{problem.message} {' '.join(problem.details)}"
    return problem.message


_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")


def clean_text(value: object, max_length: int) -> str:
    """User text as the database may store or compare it: without control characters (which
    PostgreSQL refuses) and no longer than its column (browsers enforce ``maxlength``; crafted
    requests do not)."""
    return str(value or "").translate(_CONTROL).strip()[:max_length]


def form_text(request: HttpRequest, name: str, max_length: int = 500) -> str:
    return clean_text(request.POST.get(name), max_length)


def query_text(request: HttpRequest, name: str, max_length: int = 40) -> str:
    return clean_text(request.GET.get(name), max_length)


def paginate(request: HttpRequest, rows: Any, per_page: int = 25) -> Page[Any]:
    return Paginator(rows, per_page).get_page(request.GET.get("page"))
