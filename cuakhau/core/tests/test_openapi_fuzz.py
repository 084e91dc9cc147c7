"""Schemathesis drives every operation of ``/api/v1/openapi.json`` with generated requests, as
several roles, against a world of real declarations and trips (``world.py``).

Two passes over the served document:

* examples and fuzzing: a valid declaration as the example body of the declaration
  operations, then random valid and invalid requests as each of several roles; half of them
  aimed at real trips, declarations, corrections and tokens, and for the rich bodies
  (declarations, check-in, transshipment) half built from a real document with a few fields
  broken, so that requests get past "not found" into the services and rules;
* coverage: schemathesis's systematic boundary and type-violation cases for every parameter
  and body field, sent as the role that can perform the operation.

The checks: no server error; every status code, content type and body is one the document
declares for the operation; and a request that breaks the schema is refused with a 4xx.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from cuakhau.conftest import electronics_import, fruit_export
from cuakhau.core.tests.world import KeepConnection, World, world_in_transaction
from cuakhau.gates import capacity as plan

OPENAPI = "/api/v1/openapi.json"
APP = get_wsgi_application()


def schema_violation_rejected(ctx: Any, response: Any, case: Any) -> bool | None:
    """``negative_data_rejection``, except for a query value whose type alone was changed:
    a query string carries no types, so ``gate=false`` or ``state=0`` is valid text on the wire
    however the generator thought of it."""
    meta = case.meta
    if meta is not None and meta.generation.mode is GenerationMode.NEGATIVE:
        mutations = getattr(meta.phase.data, "mutations", ())
        if mutations and all(
            m.parameter_location is ParameterLocation.QUERY and set(m.keywords) <= {"type"}
            for m in mutations
        ):
            return None
    return negative_data_rejection(ctx, response, case)  # type: ignore[no-any-return]


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    schema_violation_rejected,
]

# Who calls in the fuzzing pass: signed-in sessions (cookie + CSRF) and the exporter's API token.
# (The administrator and the other roles are walked endpoint by endpoint in the permission
# matrix; here the roles are those whose requests get furthest into the services.)
FUZZ_ROLES = ["exporter", "token", "gate_operator", "customs_officer", "border_guard"]
FUZZ_EXAMPLES = 12  # per role: 60 generated requests per operation, plus coverage

# Who calls in the coverage pass: the role that may perform the operation (others stop at 403).
COVERAGE_ACTOR = {
    "GET /api/v1/health": "anonymous",
    "GET /api/v1/reference": "anonymous",
    "GET /api/v1/public/trips/{code}": "anonymous",
    "POST /api/v1/checkins": "gate_operator",
    "POST /api/v1/trips/{code}/call": "gate_operator",
    "POST /api/v1/trips/{code}/no-show": "gate_operator",
    "POST /api/v1/trips/{code}/enter-control": "gate_operator",
    "POST /api/v1/trips/{code}/departure": "border_guard",
    "POST /api/v1/trips/{code}/transshipments": "customs_officer",
    "POST /api/v1/trips/{code}/checks/{agency}/decision": "customs_officer",
    "GET /api/v1/checks/pending": "customs_officer",
    "POST /api/v1/corrections/{correction_id}/decision": "border_guard",
    "GET /api/v1/notifications/failed": "gate_operator",
    "POST /api/v1/notifications/{message_id}/retry": "gate_operator",
    "GET /api/v1/public/passages": "anonymous",
    "GET /api/v1/public/passages/{passage}/calls": "anonymous",
    "GET /api/v1/public/yards/{yard}/board": "anonymous",
    "POST /api/v1/trips/{code}/prioritise": "gate_operator",
    "GET /api/v1/queue/passages/{passage}/{direction}": "gate_operator",
    "POST /api/v1/queue/passages/{passage}/{direction}/dispatch": "gate_operator",
    "POST /api/v1/queue/passages/{passage}/{direction}/pause": "gate_operator",
    "PUT /api/v1/queue/passages/{passage}/{direction}/plan": "gate_operator",
    "PUT /api/v1/queue/passages/{passage}/{direction}/hours": "gate_operator",
    "PUT /api/v1/queue/passages/{passage}/{direction}/quotas": "gate_operator",
    "POST /api/v1/queue/passages/{passage}/{direction}/calendar": "gate_operator",
    "POST /api/v1/queue/calendar/{entry_id}/delete": "gate_operator",
    "GET /api/v1/public/passages/{passage}/calendar": "anonymous",
    # Fees: refunds and reconciliation are the gate operators'; the bank's notice is public
    # (the fuzzer cannot sign it: it must answer 403, documented) and so is a receipt's check.
    "POST /api/v1/invoices/{code}/refund": "gate_operator",
    "GET /api/v1/payments/notices": "gate_operator",
    "POST /api/v1/payments/notices/{notice_id}/match": "gate_operator",
    "POST /api/v1/payments/notices/{notice_id}/refund": "gate_operator",
    "POST /api/v1/banks/{bank}/notices": "anonymous",
    "GET /api/v1/public/receipts/{token}": "anonymous",
    # The digital twin: leaders (a run request only queues; the worker is not called here).
    "GET /api/v1/twin/scenarios": "leader",
    "POST /api/v1/twin/runs": "leader",
    "GET /api/v1/twin/runs": "leader",
    "GET /api/v1/twin/runs/{run_id}": "leader",
}  # everything else (webhooks, slots, queue places, extensions, quotes and invoices among
# them): the exporter


def _served_document() -> dict[str, Any]:
    """The document as served, plus request examples for this run: a valid declaration, from
    which the coverage phase derives one-field boundary and type-violation variants that get
    past the rules to the database (the served document has no examples: its dates would age)."""
    response = Client().get(OPENAPI)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    examples = {
        ("post", "/api/v1/declarations"): fruit_export(),
        ("post", "/api/v1/declarations/validate"): electronics_import(),
        ("put", "/api/v1/declarations/{declaration_id}"): fruit_export(),
        ("post", "/api/v1/declarations/{declaration_id}/corrections"): {
            "reason": "Đổi tài xế",
            "document": fruit_export(),
        },
    }
    for (method, path), example in examples.items():
        content = document["paths"][path][method]["requestBody"]["content"]
        content["application/json"]["example"] = example
    return document


SERVED = _served_document()


def _load(phases: list[str], max_examples: int | None = None) -> Any:
    loaded = schemathesis.openapi.from_dict(deepcopy(SERVED))
    loaded.app = APP
    loaded.config.phases.update(phases=phases)
    loaded.config.generation.update(
        deterministic=True,  # Hypothesis' derandomize: the same requests on every run
        database="none",
        # The tests send real credentials; schemathesis need not invent or omit them.
        with_security_parameters=False,
        **({"max_examples": max_examples} if max_examples else {}),
    )
    return loaded


fuzz_schema = _load(["examples", "fuzzing"], FUZZ_EXAMPLES)
coverage_schema = _load(["coverage"])

HYPOTHESIS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    # The world is a module fixture, the savepoint a function one: both are meant.
    suppress_health_check=list(HealthCheck),
)


# --- Real objects to aim at ------------------------------------------------------------------

# Filled by the ``world`` fixture; the hooks draw from it while Hypothesis generates.
REAL: dict[str, Any] = {}


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    for built in world_in_transaction(django_db_blocker):
        REAL.update(
            code=sorted(built.trips.values()),
            declaration_id=sorted(built.declaration_id(n) for n in built.declarations),
            correction_id=[built.correction_id],
            token_id=[built.token_id, built.revoked_token_id, built.rival_token_id],
            agency=["customs", "border_guard", "plant_quarantine", "medical_quarantine"],
            yard=["XC", "BN", "VTLP", "CM-BAI", "xc"],
            zone=["B", "SANG-TAI", "A", "AGV"],
            goods_line_id=[built.goods_line_id],
            webhook_id=[built.webhook_id, built.rival_webhook_id],
            message_id=[built.message_id],
            entry_id=[built.calendar_entry_id, built.chi_ma_calendar_entry_id],
            passage=["HN-1119", "TT-1088", "CM-MAIN", "HN-MAIN", "hn-1119", "RAIL"],
            qr=built.qr,
            plate=["12C-123.45", "12C 12345", "桂F12345", "12C-555.66"],
            export_document=built.documents["export"],
            invoice=[*built.invoices.values(), "HD00000000", built.invoices["unpaid"].lower()],
            notice_id=[built.notice_id, built.chi_ma_notice_id],
            bank=["VCB-LS", "vcb-ls", "NOPE"],
            token=[built.receipt_token, built.receipt_token[:-1]],
        )
        yield built
    REAL.clear()


# Values that break a field in ways the schema allows or not: the rules must answer 422.
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=24),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1e400",
            "NaN",
            "99999999999999999999.999",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "2026-02-30T08:00:00+07:00",
            "XK",
            "NK",
            "CKHN",
            "TT",
            "CM",
            "HN-1119",
            "TT-1088",
            "VT6",
            "VN",
            "CN",
            "export",
            "import",
            "B11",
            "A12",
            "08106000",
            "KGM",
            "12C-123.45",
            "桂F12345",
            # Longer than the columns behind them (PostgreSQL refuses what SQLite keeps).
            "Đ" * 121,
            "9" * 13,
            "VNM",
            "USDX",
            "KGMXKGMXK",
            "085423100",
        ]
    ),
    st.just([]),
    st.just({}),
)

DOC_PATHS: list[tuple[Any, ...]] = [
    ("direction",),
    ("regime",),
    ("gate",),
    ("passage",),
    ("planned_arrival",),
    ("perishable",),
    ("fee_payer",),
    ("road_manifest_number",),
    ("customs_declarations",),
    ("customs_declarations", 0, "number"),
    ("customs_declarations", 0, "type_code"),
    ("customs_declarations", 0, "lines"),
    ("customs_declarations", 0, "lines", 0, "hs_code"),
    ("customs_declarations", 0, "lines", 0, "origin_country"),
    ("customs_declarations", 0, "lines", 0, "quantity"),
    ("customs_declarations", 0, "lines", 0, "unit"),
    ("customs_declarations", 0, "lines", 0, "gross_weight_kg"),
    ("customs_declarations", 0, "lines", 0, "value"),
    ("customs_declarations", 0, "lines", 0, "currency"),
    ("trips",),
    ("trips", 0, "code"),
    ("trips", 0, "tractor_plate"),
    ("trips", 0, "tractor_country"),
    ("trips", 0, "trailer_plate"),
    ("trips", 0, "trailer_country"),
    ("trips", 0, "vehicle_class"),
    ("trips", 0, "containers"),
    ("trips", 0, "driver_name"),
    ("trips", 0, "driver_id_number"),
    ("trips", 0, "driver_nationality"),
    ("trips", 0, "driver_phone"),
    ("trips", 0, "gross_weight_kg"),
]


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    target = document
    for step in path[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(target, dict) or (isinstance(target, list) and path[-1] < len(target)):
        target[path[-1]] = value


@st.composite
def real_document(draw: Any) -> dict[str, Any]:
    """A real declaration document (new, or the stored export with its trip codes) with up to
    three fields set to odd values."""
    base = draw(st.sampled_from(["fruit", "import", "stored"]))
    document = {
        "fruit": fruit_export,
        "import": electronics_import,
        "stored": lambda: deepcopy(REAL["export_document"]),
    }[base]()
    for path, value in draw(st.lists(st.tuples(st.sampled_from(DOC_PATHS), ODD), max_size=3)):
        _set(document, path, value)
    return document


def _vehicle() -> st.SearchStrategy[dict[str, Any]]:
    trip = fruit_export()["trips"][1]
    return st.lists(
        st.tuples(st.sampled_from([p[-1] for p in DOC_PATHS if p[:2] == ("trips", 0)]), ODD),
        max_size=2,
    ).map(lambda changes: {**trip, **dict(changes)})


def _transshipment() -> st.SearchStrategy[dict[str, Any]]:
    goods = st.fixed_dictionaries(
        {
            "goods_line_id": st.one_of(
                st.sampled_from(REAL["goods_line_id"]), st.integers(1, 2**63 - 1)
            ),
            "quantity": st.sampled_from(["1", "400", "401", "0", "-5", "0.001", "1e3"]),
            "gross_weight_kg": st.sampled_from(["1", "6000", "0", "-1", "99999.99"]),
        }
    )
    truck = st.fixed_dictionaries({"vehicle": _vehicle(), "goods": st.lists(goods, max_size=3)})
    return st.fixed_dictionaries(
        {"zone": st.sampled_from(REAL["zone"]), "receiving": st.lists(truck, max_size=2)}
    )


def _check_in() -> st.SearchStrategy[dict[str, Any]]:
    by = st.one_of(
        st.fixed_dictionaries({"code": st.sampled_from(REAL["code"])}),
        st.fixed_dictionaries({"plate": st.sampled_from(REAL["plate"])}),
        st.fixed_dictionaries(
            {"qr": st.sampled_from([REAL["qr"], REAL["qr"][:-1] + "A", REAL["qr"] + "/"])}
        ),
        st.just({}),
    )
    return st.tuples(st.sampled_from(REAL["yard"]), by).map(lambda t: {"yard": t[0], **t[1]})


# Minutes from the start of this hour: past, now, off the hour, bookable, beyond the horizon.
HOUR_SHIFTS = [-60, 0, 30, 60, 120, 180, 360, 720, 1440, 2900, 4320, 5820, 10080]


def _hour_start() -> st.SearchStrategy[str]:
    """Hours around now, computed when drawn (what can be booked moves with the clock)."""

    def at(minutes: int) -> str:
        this_hour = plan.hour_floor(timezone.now().astimezone(plan.VIETNAM))
        return (this_hour + timedelta(minutes=minutes)).isoformat()

    return st.sampled_from(HOUR_SHIFTS).map(at)


def _reason() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"reason": st.sampled_from(["", " ", "Hàng tươi sắp hỏng"])})


def _queue_body(label: str) -> st.SearchStrategy[Any] | None:
    if label.endswith("/slot"):
        return st.fixed_dictionaries({"start": _hour_start()})
    if label.endswith(("/slot/cancel", "/prioritise", "/delete")):
        return _reason()
    if label.endswith("/pause"):
        return _reason().flatmap(
            lambda r: st.booleans().map(lambda paused: {**r, "paused": paused})
        )
    if label.endswith("/plan"):
        return st.fixed_dictionaries(
            {
                "lanes_open": st.integers(0, 50),
                "minutes_per_vehicle": st.sampled_from(["0.01", "1", "5", "6.5", "600"]),
                "control_area_room": st.integers(0, 5000),
                "slot_share_percent": st.integers(0, 100),
                "booking_days_ahead": st.integers(0, 30),
                "reason": st.sampled_from(["", "Mở thêm làn"]),
            }
        )
    if label.endswith("/hours"):
        return st.fixed_dictionaries(
            {
                "hour_start": _hour_start(),
                "calls": st.one_of(st.none(), st.integers(0, 2000)),
                "reason": st.sampled_from(["", "Tăng ca"]),
            }
        )
    if label.startswith("POST") and label.endswith("/calendar"):
        return st.fixed_dictionaries(
            {
                "kind": st.sampled_from(["closure", "extended", "open"]),
                "cause": st.sampled_from(["holiday", "partner_closed", "event", "typhoon"]),
                "starts_at": _hour_start(),
                "ends_at": _hour_start(),
                "name_vi": st.sampled_from(["", "Tết Nguyên Đán", "Phía bạn nghỉ"]),
                "name_en": st.sampled_from(["", "Lunar New Year"]),
                "name_zh": st.sampled_from(["", "春节"]),
                "whole_gate": st.booleans(),
            }
        )
    if label.endswith("/quotas"):
        today = timezone.localdate()
        return st.fixed_dictionaries(
            {
                "day": st.integers(-2, 3).map(lambda d: (today + timedelta(days=d)).isoformat()),
                "goods_group": st.sampled_from(
                    ["fruit", "vegetables", "electronics", "general", "durian", ""]
                ),
                "trucks": st.integers(0, 100_000),
                "note": st.sampled_from(["", "Phía Trung Quốc báo"]),
            }
        )
    return None


def _fees_body(label: str) -> st.SearchStrategy[Any] | None:
    if label == "POST /api/v1/invoices":
        codes = st.lists(st.sampled_from(REAL["code"]), min_size=0, max_size=3)
        return st.one_of(
            codes.map(lambda trips: {"trips": trips}),
            st.sampled_from(REAL["declaration_id"]).map(lambda d: {"declaration_id": d}),
            st.tuples(codes, st.sampled_from(REAL["declaration_id"])).map(
                lambda t: {"trips": t[0], "declaration_id": t[1]}
            ),
        )
    # A reason first (Hypothesis starts from the first choice), so that the money moves.
    reason = st.sampled_from(["Khách ghi sai nội dung CK", "", " "])
    if label.endswith("/match"):
        invoice = st.sampled_from(REAL["invoice"])  # unpaid, paid, Chi Ma's, unknown, lower
        return st.fixed_dictionaries({"invoice": invoice, "reason": reason})
    if label.endswith("/refund"):
        return st.fixed_dictionaries({"reason": reason})
    return None


def _real_body(label: str) -> st.SearchStrategy[Any] | None:
    fees = _fees_body(label)
    if fees is not None:
        return fees
    if label.endswith(
        ("/declarations", "/declarations/validate", "/declarations/{declaration_id}")
    ):
        return real_document()
    if label.endswith("/corrections"):
        return st.fixed_dictionaries(
            {"reason": st.sampled_from(["", "Đổi tài xế"]), "document": real_document()}
        )
    if label.endswith("/transshipments"):
        return _transshipment()
    if label.endswith("/checkins"):
        return _check_in()
    return _queue_body(label)


def _valid_path_value(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, str) or (isinstance(value, int) and 1 <= value < 2**63)


def _real_values(label: str, name: str) -> list[Any]:
    """Real values of a path parameter: ``code`` names a trip, except in an invoice's path."""
    if name == "code" and "/invoices/" in label:
        return REAL["invoice"]  # type: ignore[no-any-return]
    return REAL[name]  # type: ignore[no-any-return]


def aim_at_real_objects(context: Any, case: Any) -> Any:
    """Half of the time point the request at real objects, and for positive cases with a rich
    body half of the time send a real document with a few fields broken."""
    if not REAL:
        return st.just(case)
    choices: list[st.SearchStrategy[dict[str, Any]]] = [st.just({})]
    keys = [k for k in case.path_parameters or {} if k in REAL]
    path = None
    # A path made invalid on purpose stays as generated: that is the point of the case.
    if keys and all(_valid_path_value(v) for v in case.path_parameters.values()):
        label = case.operation.label
        path = st.fixed_dictionaries({k: st.sampled_from(_real_values(label, k)) for k in keys})
        choices.append(path.map(lambda p: {"path": p}))
    body = _real_body(case.operation.label)
    if body is not None and (
        case.meta is None or case.meta.generation.mode is GenerationMode.POSITIVE
    ):
        choices.append(body.map(lambda b: {"body": b}))
        if path is not None:
            choices.append(st.tuples(path, body).map(lambda t: {"path": t[0], "body": t[1]}))

    def apply(change: dict[str, Any]) -> Any:
        if "path" in change:
            case.path_parameters = {**case.path_parameters, **change["path"]}
        if "body" in change:
            case.body = change["body"]
        return case

    return st.one_of(*choices).map(apply)


fuzz_schema.hook("flatmap_case")(aim_at_real_objects)


# --- The tests -------------------------------------------------------------------------------


def _call(world: World, who: str, case: Any) -> Any:
    cookies, headers = world.credentials(who)
    with KeepConnection():
        return case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)


@pytest.mark.parametrize("role", FUZZ_ROLES)
@fuzz_schema.parametrize()
@HYPOTHESIS
def test_fuzz(case: Any, role: str, world: World, db: Any) -> None:
    _call(world, role, case)


@coverage_schema.parametrize()
@HYPOTHESIS
def test_coverage(case: Any, world: World, db: Any) -> None:
    _call(world, COVERAGE_ACTOR.get(case.operation.label, "exporter"), case)
