"""Personas and builders shared by every test (pytest-django; reference data comes from the
migrations)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from stdnum.vn import mst

from cuakhau.accounts.models import Agency, ApiToken, Enterprise, User
from cuakhau.accounts.roles import AGENCY_OF_ROLE, Role
from cuakhau.gates.models import Gate

PASSWORD = "Cua-khau-2026!"


def tax_code(seed: int) -> str:
    """A valid Vietnamese tax code (MST) built from a 9-digit seed."""
    base = f"{seed:09d}"
    return base + mst.calc_check_digit(base)


def make_enterprise(name: str, seed: int) -> Enterprise:
    return Enterprise.objects.create(name=name, tax_code=tax_code(seed))


def make_user(
    username: str,
    role: Role,
    *,
    enterprise: Enterprise | None = None,
    gates: tuple[str, ...] = ("CKHN", "TT"),
) -> User:
    agency = None
    if role in AGENCY_OF_ROLE:
        agency = Agency.objects.get(code=AGENCY_OF_ROLE[role].value)
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role.value,
        enterprise=enterprise,
        agency=agency,
        first_name=username.capitalize(),
    )
    if role not in (Role.ENTERPRISE, Role.ADMINISTRATOR):
        user.gates.set(Gate.objects.filter(code__in=gates))
    return user


@pytest.fixture
def fruit_company(db: Any) -> Enterprise:
    return make_enterprise("Công ty TNHH Nông sản Xanh Lạng Sơn", 100_000_001)


@pytest.fixture
def rival_company(db: Any) -> Enterprise:
    return make_enterprise("Công ty CP Logistics Đồng Đăng", 100_000_002)


@pytest.fixture
def exporter(fruit_company: Enterprise) -> User:
    return make_user("alice", Role.ENTERPRISE, enterprise=fruit_company)


@pytest.fixture
def rival(rival_company: Enterprise) -> User:
    return make_user("bob", Role.ENTERPRISE, enterprise=rival_company)


@pytest.fixture
def gate_operator(db: Any) -> User:
    return make_user("olga", Role.GATE_OPERATOR)


@pytest.fixture
def customs_officer(db: Any) -> User:
    return make_user("cuong", Role.CUSTOMS)


@pytest.fixture
def border_guard(db: Any) -> User:
    return make_user("bien", Role.BORDER_GUARD)


@pytest.fixture
def plant_officer(db: Any) -> User:
    return make_user("thuc", Role.PLANT_QUARANTINE)


@pytest.fixture
def animal_officer(db: Any) -> User:
    return make_user("dong", Role.ANIMAL_QUARANTINE)


@pytest.fixture
def chi_ma_customs(db: Any) -> User:
    """A customs officer who works at Chi Ma only."""
    return make_user("chima", Role.CUSTOMS, gates=("CM",))


@pytest.fixture
def leader(db: Any) -> User:
    return make_user("lanh", Role.LEADER)


@pytest.fixture
def administrator(db: Any) -> User:
    return make_user("quantri", Role.ADMINISTRATOR)


def fruit_export(**changes: Any) -> dict[str, Any]:
    """A valid declaration: fresh durian exported through Hữu Nghị's freight road, two trucks."""
    doc: dict[str, Any] = {
        "direction": "export",
        "regime": "XK",
        "gate": "CKHN",
        "passage": "HN-1119",
        "planned_arrival": (timezone.now() + timedelta(hours=6)).isoformat(),
        "perishable": True,
        "customs_declarations": [
            {
                "number": "305123456789",
                "type_code": "B11",
                "lines": [
                    {
                        "description": "Sầu riêng tươi",
                        "hs_code": "08106000",
                        "origin_country": "VN",
                        "quantity": "18000",
                        "unit": "KGM",
                        "gross_weight_kg": "19500",
                        "value": "54000",
                        "currency": "USD",
                    }
                ],
            }
        ],
        "trips": [
            {
                "tractor_plate": "12C-123.45",
                "tractor_country": "VN",
                "trailer_plate": "12R-012.34",
                "vehicle_class": "VT6",
                "containers": [{"number": "CSQU3054383", "size_ft": 40, "seals": ["VN1234567"]}],
                "driver_name": "Nguyễn Văn Tài",
                "driver_id_number": "020085001234",
                "driver_phone": "0912345678",
                "gross_weight_kg": "29500",
            },
            {
                "tractor_plate": "12C-678.90",
                "tractor_country": "VN",
                "vehicle_class": "VT4",
                "driver_name": "Hoàng Văn Lộc",
                "driver_id_number": "020085005678",
                "driver_phone": "0987654321",
                "gross_weight_kg": "9000",
            },
        ],
    }
    doc.update(changes)
    return doc


def electronics_import(**changes: Any) -> dict[str, Any]:
    """A valid import: integrated circuits from China on a Guangxi truck through Tân Thanh."""
    doc: dict[str, Any] = {
        "direction": "import",
        "regime": "NK",
        "gate": "TT",
        "passage": "TT-1088",
        "planned_arrival": (timezone.now() + timedelta(hours=3)).isoformat(),
        "customs_declarations": [
            {
                "number": "105987654321",
                "type_code": "A12",
                "lines": [
                    {
                        "description": "Vi mạch tích hợp",
                        "hs_code": "85423100",
                        "origin_country": "CN",
                        "quantity": "400",
                        "unit": "CTN",
                        "gross_weight_kg": "6000",
                        "value": "250000",
                        "currency": "USD",
                    },
                    {
                        "description": "Tụ điện",
                        "hs_code": "85322400",
                        "origin_country": "CN",
                        "quantity": "200",
                        "unit": "CTN",
                        "gross_weight_kg": "3000",
                        "value": "40000",
                        "currency": "USD",
                    },
                ],
            }
        ],
        "trips": [
            {
                "tractor_plate": "桂F12345",
                "tractor_country": "CN",
                "trailer_plate": "桂F1234挂",
                "vehicle_class": "VT6",
                "driver_name": "李明",
                "driver_id_number": "360426199101010071",
                "driver_phone": "+8613800138000",
                "gross_weight_kg": "24000",
            }
        ],
    }
    doc.update(changes)
    return doc


class Api:
    """A JSON client for ``/api/v1`` acting as one user (session) or token."""

    def __init__(self, client: Client, *, token: str | None = None) -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        url = f"/api/v1{path}"
        kwargs: dict[str, Any] = dict(self.headers)
        if body is not None:
            kwargs.update(data=json.dumps(body, default=str), content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self._call("post", path, {} if body is None else body)

    def put(self, path: str, body: Any) -> Any:
        return self._call("put", path, body)


@pytest.fixture
def api_as(db: Any) -> Callable[[User | None], Api]:
    """``api_as(user)``: an API client signed in as ``user`` (``None``: anonymous)."""

    def build(user: User | None) -> Api:
        client = Client()
        if user is not None:
            client.force_login(user)
        return Api(client)

    return build


@pytest.fixture
def token_api(exporter: User) -> Api:
    """The exporter's own system, calling with an API token."""
    key_id, secret = ApiToken.new_key()
    ApiToken.objects.create(
        enterprise=exporter.enterprise,
        user=exporter,
        name="ERP",
        key_id=key_id,
        digest=ApiToken.digest_of(secret),
    )
    return Api(Client(), token=f"ck_{key_id}_{secret}")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Personas are created in nearly every test; the production hasher would dominate run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_reference_index() -> Any:
    """Each test sees the reference data of its own database."""
    from cuakhau.reference.catalog import forget_reference_index

    forget_reference_index()
    yield
    forget_reference_index()


@pytest.fixture
def browser(transactional_db: Any, live_server: Any) -> Any:
    """Debian's chromium, headless (see ``cuakhau/core/tests/browser.py``)."""
    from cuakhau.core.tests.browser import launch_chromium

    with launch_chromium() as chromium:
        yield chromium
