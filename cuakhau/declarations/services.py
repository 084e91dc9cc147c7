"""Writes on declarations and trips. Each public function is one transaction that records who,
when and why (trip events, declaration versions) and changes nothing when it raises."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cuakhau.accounts.models import User
from cuakhau.accounts.permissions import require_enterprise, require_role
from cuakhau.accounts.roles import (
    CHECK_IN_ROLES,
    CONTROL_ENTRY_ROLES,
    DEPARTURE_ROLES,
    TRANSSHIPMENT_ROLES,
    AgencyCode,
    Role,
)
from cuakhau.checks.models import AgencyCheck
from cuakhau.checks.rules import CheckStatus, required_agencies
from cuakhau.core.actors import Actor
from cuakhau.core.errors import Conflict, FieldError, InvalidInput, NotFound, invalid
from cuakhau.core.text import Text
from cuakhau.declarations import corrections, qr
from cuakhau.declarations.documents import DeclarationDoc, TripDoc
from cuakhau.declarations.lifecycle import EXPORT, Action, TripState, next_state
from cuakhau.declarations.links import qr_key
from cuakhau.declarations.models import (
    Container,
    CorrectionRequest,
    CustomsDeclaration,
    Declaration,
    DeclarationVersion,
    GoodsLine,
    Transshipment,
    TransshipmentLine,
    Trip,
    TripEvent,
)
from cuakhau.declarations.rules import validate_declaration, validate_trip
from cuakhau.declarations.selectors import (
    attach_reference,
    declaration_for,
    trip_not_found,
    trips_for,
)
from cuakhau.fees import services as fees
from cuakhau.gates.models import Yard, YardZone
from cuakhau.queueing import services as queueing
from cuakhau.reference.catalog import ReferenceIndex, reference_index
from cuakhau.reference.identifiers import normalize_plate_text

# States in which a truck stands in a yard: their events happen at that yard.
IN_YARD = frozenset({TripState.ARRIVED, TripState.ENTERED})

M: dict[str, Text] = {
    "not_editable": Text(
        "Tờ khai đã có xe vào bãi: mọi thay đổi phải gửi thành yêu cầu điều chỉnh.",
        "A truck of this declaration has checked in: changes must be sent as a correction request.",
        "该申报已有车辆入场：任何修改须以更正申请提交。",
    ),
    "cancelled": Text("Tờ khai đã bị hủy.", "The declaration is cancelled.", "该申报已取消。"),
    "already_submitted": Text(
        "Tờ khai đã được gửi.", "The declaration is already submitted.", "该申报已提交。"
    ),
    "not_checked_in": Text(
        "Chưa có xe nào vào bãi: hãy sửa trực tiếp tờ khai.",
        "No truck has checked in yet: edit the declaration directly.",
        "尚无车辆入场：请直接修改申报。",
    ),
    "expired": Text(
        "Tờ khai đã hết hiệu lực lúc {at}. Doanh nghiệp cần cập nhật thời gian dự kiến đến.",
        "The declaration expired at {at}. The enterprise must update the planned arrival.",
        "该申报已于 {at} 失效。企业需更新预计到达时间。",
    ),
    "yard_unknown": Text(
        "Không có bãi «{value}».", "There is no yard «{value}».", "不存在堆场「{value}」。"
    ),
    "yard_wrong_gate": Text(
        "Chuyến {code} khai báo qua cửa khẩu {gate}, bãi này không phục vụ cửa khẩu đó.",
        "Trip {code} is declared for gate {gate}, which this yard does not serve.",
        "车次 {code} 申报的口岸为 {gate}，本堆场不服务该口岸。",
    ),
    "checkin_what": Text(
        "Hãy quét mã QR, nhập mã chuyến hoặc biển số xe.",
        "Scan the QR code, or type the trip code or the plate.",
        "请扫描二维码，或输入车次编号或车牌号。",
    ),
    "plate_none": Text(
        "Không có chuyến nào đã khai báo cho xe {plate} tại bãi này.",
        "No declared trip for vehicle {plate} at this yard.",
        "本堆场没有车辆 {plate} 的已申报车次。",
    ),
    "plate_many": Text(
        "Xe {plate} có nhiều chuyến đã khai báo ({codes}): hãy nhập mã chuyến.",
        "Vehicle {plate} has several declared trips ({codes}): type the trip code.",
        "车辆 {plate} 有多个已申报车次（{codes}）：请输入车次编号。",
    ),
    "concurrent": Text(
        "Chuyến xe vừa được người khác cập nhật. Hãy tải lại và thử lại.",
        "Someone else has just updated this trip. Reload and try again.",
        "该车次刚被他人更新。请刷新后重试。",
    ),
    "zone_unknown": Text(
        "Không có khu sang tải «{value}» tại bãi của chuyến.",
        "There is no transshipment zone «{value}» at the trip's yard.",
        "该车次所在堆场没有换装区「{value}」。",
    ),
    "transship_import_only": Text(
        "Chỉ sang tải được hàng nhập khẩu.",
        "Only import goods can be transshipped.",
        "只有进口货物可以换装。",
    ),
    "transship_needs_receiving": Text(
        "Cần ít nhất một xe nhận hàng.",
        "At least one receiving truck is needed.",
        "至少需要一辆接货车辆。",
    ),
    "transship_vn_only": Text(
        "Xe nhận hàng sang tải phải là xe Việt Nam.",
        "A receiving truck must be Vietnamese.",
        "接货车辆必须为越南车辆。",
    ),
    "goods_line_unknown": Text(
        "Dòng hàng {value} không thuộc tờ khai của chuyến này.",
        "Goods line {value} is not on this trip's declaration.",
        "货物行 {value} 不属于该车次的申报。",
    ),
    "goods_line_exceeded": Text(
        "Dòng hàng {value}: số lượng sang tải vượt quá số lượng khai báo ({declared}).",
        "Goods line {value}: more transshipped than declared ({declared}).",
        "货物行 {value}：换装数量超过申报数量（{declared}）。",
    ),
    "no_goods": Text(
        "Xe nhận hàng phải nhận ít nhất một dòng hàng.",
        "A receiving truck must take at least one goods line.",
        "接货车辆至少须接收一行货物。",
    ),
    "correction_pending": Text(
        "Tờ khai đang có một yêu cầu điều chỉnh chờ duyệt.",
        "This declaration already has a correction request waiting for a decision.",
        "该申报已有待审批的更正申请。",
    ),
    "correction_decided": Text(
        "Yêu cầu điều chỉnh đã được xử lý.",
        "The correction request has already been decided.",
        "该更正申请已处理。",
    ),
    "correction_stale": Text(
        "Tờ khai đã thay đổi kể từ khi gửi yêu cầu (phiên bản {base} → {now}).",
        "The declaration changed since the request was made (version {base} → {now}).",
        "提交申请后申报已变更（版本 {base} → {now}）。",
    ),
    "correction_not_found": Text(
        "Không tìm thấy yêu cầu điều chỉnh.", "Correction request not found.", "未找到更正申请。"
    ),
    "goods_transshipped": Text(
        "Hàng của tờ khai đã được sang tải: không thể sửa danh sách hàng.",
        "Goods of this declaration have been transshipped: the goods list can no longer change.",
        "该申报的货物已换装：货物清单不能再修改。",
    ),
    "reason_required": Text("Phải ghi rõ lý do.", "A reason is required.", "必须填写原因。"),
}


def _reason_required(reason: str) -> None:
    if not reason.strip():
        raise invalid([FieldError("reason", "required", M["reason_required"])])


# --- Declarations ---------------------------------------------------------------------------


def declaration_validate(
    *, actor: Actor, doc: DeclarationDoc, declaration: Declaration | None = None
) -> DeclarationDoc:
    """Check a whole declaration without saving; raise ``InvalidInput`` listing every error."""
    user = _user(actor)
    enterprise_id = require_enterprise(user)
    index = reference_index()
    known = (
        frozenset(declaration.trips.values_list("code", flat=True)) if declaration else frozenset()
    )
    enterprise = user.enterprise
    assert enterprise is not None
    assert enterprise.id == enterprise_id
    return validate_declaration(
        doc,
        index.catalog,
        now=timezone.now(),
        declarant_name=enterprise.name,
        declarant_tax_code=enterprise.tax_code,
        known_trip_codes=known,
        check_arrival=declaration is None or declaration.status == Declaration.Status.DRAFT,
    )


def declaration_create(*, actor: Actor, doc: DeclarationDoc, submit: bool = False) -> Declaration:
    """Store a new declaration as a draft, or submitted at once (its trips DECLARED, their
    checks and version 1 written). The returned declaration carries everything it was built
    with (goods, trips, containers, checks, reference rows), so that answering needs no reads."""
    clean = declaration_validate(actor=actor, doc=doc)
    user = _user(actor)
    index = reference_index()
    now = timezone.now()
    with transaction.atomic(durable=True):
        declaration, trips = _insert_declaration(user, clean, index, now, submitted=submit)
        customs = _write_goods(declaration, clean)
        _insert_trip_containers(trips, clean.trips)
        checks = _declare(declaration, trips, clean, actor, now, index) if submit else []
    declaration.enterprise = user.enterprise
    _attach(declaration, index, customs=customs, trips=trips, checks=checks)
    return declaration


def _insert_declaration(
    user: User, clean: DeclarationDoc, index: ReferenceIndex, now: datetime, *, submitted: bool
) -> tuple[Declaration, list[Trip]]:
    """The declaration row and its trips' rows, in their final state, under fresh random codes.

    One savepoint covers both, so a (very rare) code collision is retried with new codes."""
    header = _header_fields(clean, index)
    if submitted:
        header.update(
            status=Declaration.Status.SUBMITTED,
            version=1,
            submitted_at=now,
            expires_at=clean.planned_arrival + timedelta(hours=settings.DECLARATION_VALIDITY_HOURS),
        )
    state = TripState.DECLARED if submitted else TripState.DRAFT
    for _attempt in range(5):
        declaration = Declaration(
            code="D" + qr.new_code(qr.CODE_LENGTH - 1),
            enterprise_id=user.enterprise_id,
            created_by=user,
            created_at=now,
            updated_at=now,
            **header,
        )
        trips = _new_trips(declaration, clean.trips, index, now, state=state)
        try:
            with transaction.atomic():
                declaration.save(force_insert=True)
                Trip.objects.bulk_create(trips)
        except IntegrityError:
            continue
        for trip, trip_doc in zip(trips, clean.trips, strict=True):
            trip_doc.code = trip.code
        return declaration, trips
    raise RuntimeError("could not draw unique codes")


def declaration_update(
    *, actor: Actor, declaration_id: int, doc: DeclarationDoc, reason: str = ""
) -> Declaration:
    """Edit a draft in place, or a submitted declaration before check-in as a new version."""
    user = _user(actor)
    with transaction.atomic(durable=True):
        declaration = _lock_declaration(user, declaration_id)
        _require_editable(declaration)
        clean = declaration_validate(actor=actor, doc=doc, declaration=declaration)
        _apply_document(declaration, clean, actor, reason=reason or "edit")
    return declaration


def declaration_submit(*, actor: Actor, declaration_id: int) -> Declaration:
    user = _user(actor)
    index = reference_index()
    with transaction.atomic(durable=True):
        declaration = _lock_declaration(user, declaration_id)
        now = timezone.now()
        if declaration.status != Declaration.Status.DRAFT:
            raise Conflict("already_submitted", M["already_submitted"])
        # Revalidate: a draft saved days ago may no longer hold (arrival passed, codes retired).
        clean = declaration_validate(
            actor=actor, doc=declaration_document(declaration), declaration=declaration
        )
        trips = list(declaration.trips.order_by("position"))
        _submit(declaration, trips, clean, actor, now, index)
    return declaration


def declaration_cancel(*, actor: Actor, declaration_id: int, reason: str) -> Declaration:
    """Cancel every trip that has not arrived; refused once any truck has checked in."""
    _reason_required(reason)
    user = _user(actor)
    with transaction.atomic(durable=True):
        declaration = _lock_declaration(user, declaration_id)
        now = timezone.now()
        if declaration.status == Declaration.Status.CANCELLED:
            raise Conflict("cancelled", M["cancelled"])
        trips = list(declaration.trips.select_for_update().order_by("pk"))
        booked: list[Trip] = []
        for trip in trips:
            trip_transition(trip, Action.CANCEL, actor, now=now, reason=reason)
            if queueing.cancel_bookings_of(trip, now, reason):
                booked.append(trip)
            fees.invoices_void_for(trip, now, actor, reason)
        if booked:
            # One cancellation, however many of its trucks had booked slots.
            queueing.booking_cancellation_record(booked[0], now, actor)
        Declaration.objects.filter(pk=declaration.pk).update(
            status=Declaration.Status.CANCELLED, updated_at=now
        )
        declaration.status = Declaration.Status.CANCELLED
    return declaration


def trip_cancel(*, actor: Actor, trip_code: str, reason: str) -> Trip:
    _reason_required(reason)
    user = _user(actor)
    require_enterprise(user)
    with transaction.atomic(durable=True):
        trip = lock_trip(user, trip_code)
        now = timezone.now()
        trip_transition(trip, Action.CANCEL, actor, now=now, reason=reason)
        if queueing.cancel_bookings_of(trip, now, reason):
            queueing.booking_cancellation_record(trip, now, actor)
        fees.invoices_void_for(trip, now, actor, reason)
    return trip


def declaration_document(declaration: Declaration) -> DeclarationDoc:
    """The declaration as a document, in the shape enterprises send (for versions and forms)."""
    customs = customs_declarations_as_dicts(
        declaration.customs_declarations.select_related("type").prefetch_related("lines")
    )
    trips = [
        _trip_doc(trip)
        for trip in declaration.trips.filter(source_trip__isnull=True)
        .exclude(state=TripState.CANCELLED)
        .select_related("vehicle_class")
        .prefetch_related("containers")
        .order_by("position", "pk")
    ]
    return DeclarationDoc.model_validate(
        {
            "direction": declaration.direction,
            "regime": declaration.regime.code,
            "gate": declaration.gate.code,
            "passage": declaration.passage.code,
            "planned_arrival": declaration.planned_arrival,
            "perishable": declaration.perishable,
            "fee_payer": {
                "name": declaration.fee_payer_name,
                "country": declaration.fee_payer_country,
                "tax_code": declaration.fee_payer_tax_code,
            },
            "road_manifest_number": declaration.road_manifest_number,
            "note": declaration.note,
            "customs_declarations": customs,
            "trips": trips,
        }
    )


def customs_declarations_as_dicts(
    customs: Iterable[CustomsDeclaration], *, with_ids: bool = False
) -> list[dict[str, Any]]:
    """Customs declarations and their goods lines as the document (and the API) shows them;
    ``with_ids`` adds each line's id, which transshipments refer to."""
    return [
        {
            "number": cd.number,
            "type_code": cd.type.code,
            "lines": [
                {
                    **({"id": line.pk} if with_ids else {}),
                    "description": line.description,
                    "hs_code": line.hs_code,
                    "origin_country": line.origin_country,
                    "quantity": line.quantity,
                    "unit": line.unit,
                    "gross_weight_kg": line.gross_weight_kg,
                    "value": line.value,
                    "currency": line.currency,
                }
                for line in cd.lines.all()
            ],
        }
        for cd in customs
    ]


def _trip_doc(trip: Trip) -> dict[str, Any]:
    return {
        "code": trip.code,
        "tractor_plate": trip.tractor_plate,
        "tractor_country": trip.tractor_country,
        "trailer_plate": trip.trailer_plate,
        "trailer_country": trip.trailer_country,
        "vehicle_class": trip.vehicle_class.code,
        "containers": [
            {"number": c.number, "size_ft": c.size_ft, "seals": c.seals}
            for c in trip.containers.all()
        ],
        "driver_name": trip.driver_name,
        "driver_id_number": trip.driver_id_number,
        "driver_nationality": trip.driver_nationality,
        "driver_phone": trip.driver_phone,
        "gross_weight_kg": trip.gross_weight_kg,
    }


# --- Corrections after check-in ---------------------------------------------------------


def correction_request_create(
    *, actor: Actor, declaration_id: int, doc: DeclarationDoc, reason: str
) -> CorrectionRequest:
    _reason_required(reason)
    user = _user(actor)
    index = reference_index()
    with transaction.atomic(durable=True):
        declaration = _lock_declaration(user, declaration_id)
        if declaration.status == Declaration.Status.CANCELLED:
            raise Conflict("cancelled", M["cancelled"])
        if not _has_checked_in(declaration):
            raise Conflict("not_checked_in", M["not_checked_in"])
        if declaration.correction_requests.filter(status=CorrectionRequest.Status.PENDING).exists():
            raise Conflict("correction_pending", M["correction_pending"])
        try:
            clean = declaration_validate(actor=actor, doc=doc, declaration=declaration)
        except InvalidInput as error:
            raise error.under("document") from None
        current = corrections.canonical(declaration_document(declaration))
        proposed = corrections.canonical(clean)
        corrections.check_allowed(current, proposed, _trip_states(declaration))
        changes = corrections.document_changes(current, proposed)
        agency = corrections.responsible_agency(changes)
        return CorrectionRequest.objects.create(
            declaration=declaration,
            base_version=declaration.version,
            document=proposed,
            changes=changes,
            reason=reason,
            agency_id=index.agency_ids[agency],
            requested_by=user,
            requested_at=timezone.now(),
        )


def correction_request_decide(
    *, actor: Actor, request_id: int, approve: bool, reason: str
) -> CorrectionRequest:
    """The responsible agency approves (the correction becomes a new version) or rejects it."""
    user = _user(actor)
    if not approve:
        _reason_required(reason)
    with transaction.atomic(durable=True):
        request = _lock_correction(user, request_id)
        now = timezone.now()
        if request.status != CorrectionRequest.Status.PENDING:
            raise Conflict("correction_decided", M["correction_decided"])
        declaration = Declaration.objects.select_for_update().get(pk=request.declaration_id)
        if declaration.version != request.base_version:
            raise Conflict(
                "correction_stale",
                M["correction_stale"].format(base=request.base_version, now=declaration.version),
            )
        if approve:
            doc = DeclarationDoc.model_validate(request.document)
            _apply_document(
                declaration, doc, actor, reason=f"correction #{request.pk}: {request.reason}"
            )
        CorrectionRequest.objects.filter(pk=request.pk).update(
            status=CorrectionRequest.Status.APPROVED
            if approve
            else CorrectionRequest.Status.REJECTED,
            decided_by=user,
            decided_at=now,
            decision_reason=reason,
        )
        request.refresh_from_db()
    return request


def corrections_for(user: User) -> Any:
    """Correction requests a user may see: the enterprise's own; the agency's at its gates."""
    requests = CorrectionRequest.objects.select_related("declaration", "agency", "requested_by")
    if not user.is_authenticated:
        return requests.none()
    if user.is_administrator:
        return requests
    if user.role == Role.ENTERPRISE:
        return requests.filter(declaration__enterprise_id=user.enterprise_id)
    from cuakhau.accounts.permissions import agency_code_of

    agency = agency_code_of(user)
    if agency is None:
        return requests.none()
    return requests.filter(agency__code=agency, declaration__gate_id__in=user.gate_ids())


def _lock_correction(user: User, request_id: int) -> CorrectionRequest:
    from cuakhau.accounts.permissions import agency_code_of

    agency = agency_code_of(user)
    if not user.is_administrator and agency not in (AgencyCode.CUSTOMS, AgencyCode.BORDER_GUARD):
        require_role(user, frozenset({Role.CUSTOMS, Role.BORDER_GUARD}))
    try:
        request = corrections_for(user).select_for_update(of=("self",)).get(pk=request_id)
    except CorrectionRequest.DoesNotExist:
        raise NotFound("correction_not_found", M["correction_not_found"]) from None
    return request


# --- Trip steps at the yard and the gate ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckInBy:
    qr: str = ""
    code: str = ""
    plate: str = ""


def trip_check_in(*, actor: Actor, yard_code: str, by: CheckInBy) -> Trip:
    """A gate operator checks a declared trip in at a yard (QR scan, typed code or plate)."""
    user = _user(actor)
    require_role(user, CHECK_IN_ROLES)
    yard, yard_gates = _yard(yard_code)
    with transaction.atomic(durable=True):
        trip = lock_trip(user, _check_in_code(user, yard, yard_gates, by))
        # Timestamps are taken under the lock, so events order as the locks did.
        now = timezone.now()
        gate_id = trip.declaration.gate_id
        if gate_id not in yard_gates:
            raise Conflict(
                "yard_wrong_gate",
                M["yard_wrong_gate"].format(code=trip.code, gate=trip.declaration.gate.names),
            )
        expires_at = trip.declaration.expires_at
        if trip.state == TripState.DECLARED and expires_at and expires_at < now:
            local = timezone.localtime(expires_at).strftime("%H:%M %d/%m/%Y")
            raise Conflict("declaration_expired", M["expired"].format(at=local))
        data = None
        direction = trip.declaration.direction
        next_state(direction, TripState(trip.state), Action.CHECK_IN)  # refuse before queueing
        if direction == EXPORT:
            # Export trucks wait in the yard queue to be called; imports have crossed already.
            entry = queueing.queue_join(trip, yard, now)
            data = {
                "queue_number": entry.number,
                "priority": entry.priority,
                "goods_group": entry.goods_group,
                "slot_fit": entry.slot_fit,
            }
        trip_transition(
            trip,
            Action.CHECK_IN,
            actor,
            now=now,
            yard=yard,
            extra={"yard_id": yard.pk, "checked_in_at": now},
            data=data,
        )
    return trip


def _check_in_code(user: User, yard: Yard, yard_gates: frozenset[int], by: CheckInBy) -> str:
    if by.qr:
        return qr.verify_qr(by.qr, qr_key())
    if by.code:
        return by.code
    if by.plate:
        plate = normalize_plate_text(by.plate)
        candidates = list(
            trips_for(user)
            .filter(
                tractor_plate=plate,
                state=TripState.DECLARED,
                declaration__gate_id__in=yard_gates,
            )
            .values_list("code", flat=True)[:6]
        )
        if not candidates:
            raise NotFound("plate_not_declared", M["plate_none"].format(plate=by.plate))
        if len(candidates) > 1:
            raise Conflict(
                "plate_ambiguous",
                M["plate_many"].format(plate=by.plate, codes=", ".join(candidates)),
            )
        return candidates[0]
    raise invalid([FieldError("code", "required", M["checkin_what"])])


def trip_call(*, actor: Actor, trip_code: str, reason: str = "") -> Trip:
    """Call one truck up; the queue decides whether it is its turn (see ``trip_call_up``)."""
    return queueing.trip_call_up(actor=actor, trip_code=trip_code, reason=reason)


def trip_no_show(*, actor: Actor, trip_code: str, reason: str = "") -> Trip:
    return queueing.trip_no_show(actor=actor, trip_code=trip_code, reason=reason)


def trip_enter_control(*, actor: Actor, trip_code: str, reason: str = "") -> Trip:
    return _gate_step(actor, trip_code, Action.ENTER_CONTROL, CONTROL_ENTRY_ROLES, reason)


def trip_depart(*, actor: Actor, trip_code: str, reason: str = "") -> Trip:
    return _gate_step(actor, trip_code, Action.DEPART, DEPARTURE_ROLES, reason)


def _gate_step(
    actor: Actor, trip_code: str, action: Action, roles: frozenset[Role], reason: str
) -> Trip:
    user = _user(actor)
    require_role(user, roles)
    with transaction.atomic(durable=True):
        trip = lock_trip(user, trip_code)
        now = timezone.now()
        if action is Action.DEPART:
            fees.require_fee_paid(trip, "departure")
        trip_transition(trip, action, actor, now=now, reason=reason)
        if action is Action.ENTER_CONTROL:
            queueing.queue_entered(trip, now, actor)
            clear_if_ready(trip, actor, now=now)
    return trip


def clear_if_ready(trip: Trip, actor: Actor, *, now: datetime) -> bool:
    """Clear a trip in the control area once every required check has passed."""
    if trip.state != TripState.AT_GATE:
        return False
    statuses = list(trip.checks.values_list("status", flat=True))
    if not statuses or any(status != CheckStatus.PASSED for status in statuses):
        return False
    trip_transition(trip, Action.CLEAR, actor, now=now, reason="all required checks passed")
    return True


# --- Transshipment --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransshippedGoods:
    goods_line_id: int
    quantity: Decimal
    gross_weight_kg: Decimal


@dataclass(frozen=True, slots=True)
class ReceivingTruck:
    vehicle: TripDoc
    goods: Sequence[TransshippedGoods]


def trip_transship(
    *, actor: Actor, trip_code: str, zone_code: str, receiving: Sequence[ReceivingTruck]
) -> list[Trip]:
    """Move a cleared import trip's goods onto Vietnamese trucks at a yard zone."""
    user = _user(actor)
    require_role(user, TRANSSHIPMENT_ROLES)
    index = reference_index()
    with transaction.atomic(durable=True):
        source = lock_trip(user, trip_code)
        now = timezone.now()
        declaration = source.declaration
        if declaration.direction != "import":
            raise Conflict("transship_import_only", M["transship_import_only"])
        if source.state != TripState.CLEARED:
            raise Conflict(
                "transition_not_allowed",
                _state_refusal(source, "transship"),
            )
        zone = YardZone.objects.filter(
            yard_id=source.yard_id, code=zone_code.upper(), allows_transshipment=True
        ).first()
        if zone is None:
            raise invalid(
                [FieldError("zone", "zone_unknown", M["zone_unknown"].format(value=zone_code))]
            )
        trucks = _validate_receiving(declaration, receiving, index)
        created: list[Trip] = []
        base_position = declaration.trips.count()
        for offset, (vehicle, goods) in enumerate(trucks):
            trip = _insert_with_unique_code(
                lambda code, vehicle=vehicle, offset=offset: Trip.objects.create(
                    declaration=declaration,
                    code=code,
                    position=base_position + offset,
                    state=TripState.CLEARED,
                    state_changed_at=now,
                    source_trip=source,
                    created_at=now,
                    yard_id=source.yard_id,
                    checked_in_at=now,
                    **_trip_fields(vehicle, index),
                ),
            )
            _insert_containers(trip, vehicle)
            transshipment = Transshipment.objects.create(
                source_trip=source, receiving_trip=trip, yard_zone=zone, recorded_by=user, at=now
            )
            TransshipmentLine.objects.bulk_create(
                TransshipmentLine(
                    transshipment=transshipment,
                    goods_line_id=g.goods_line_id,
                    quantity=g.quantity,
                    gross_weight_kg=g.gross_weight_kg,
                )
                for g in goods
            )
            trip_event(
                trip,
                "transship_in",
                "",
                TripState.CLEARED,
                actor,
                now=now,
                yard_id=source.yard_id,
                data={
                    "source_trip": source.code,
                    "zone": zone.code,
                    "goods": [_goods_json(g) for g in goods],
                },
            )
            created.append(trip)
        Trip.objects.filter(pk=source.pk).update(transshipped_at=now)
        trip_event(
            source,
            "transship_out",
            source.state,
            source.state,
            actor,
            now=now,
            yard_id=source.yard_id,
            data={"zone": zone.code, "receiving_trips": [t.code for t in created]},
        )
    return created


def _goods_json(goods: TransshippedGoods) -> dict[str, str | int]:
    return {
        "goods_line_id": goods.goods_line_id,
        "quantity": str(goods.quantity),
        "gross_weight_kg": str(goods.gross_weight_kg),
    }


def _validate_receiving(
    declaration: Declaration, receiving: Sequence[ReceivingTruck], index: ReferenceIndex
) -> list[tuple[TripDoc, Sequence[TransshippedGoods]]]:
    if not receiving:
        raise invalid([FieldError("receiving", "required", M["transship_needs_receiving"])])
    lines = {
        line.pk: line
        for line in GoodsLine.objects.filter(customs_declaration__declaration=declaration)
    }
    already: dict[int, Decimal] = {}
    for line_id, quantity in TransshipmentLine.objects.filter(goods_line_id__in=lines).values_list(
        "goods_line_id", "quantity"
    ):
        already[line_id] = already.get(line_id, Decimal(0)) + quantity
    errors: list[FieldError] = []
    cleaned: list[tuple[TripDoc, Sequence[TransshippedGoods]]] = []
    for i, truck in enumerate(receiving):
        path = f"receiving.{i}"
        vehicle = truck.vehicle.model_copy(deep=True)
        if vehicle.tractor_country.upper() != "VN":
            errors.append(
                FieldError(f"{path}.vehicle.tractor_country", "vn_only", M["transship_vn_only"])
            )
        try:
            vehicle = validate_trip(vehicle, index.catalog, path=f"{path}.vehicle")
        except InvalidInput as error:
            errors.extend(error.errors)
        if not truck.goods:
            errors.append(FieldError(f"{path}.goods", "required", M["no_goods"]))
        for j, goods in enumerate(truck.goods):
            gpath = f"{path}.goods.{j}"
            line = lines.get(goods.goods_line_id)
            if line is None:
                errors.append(
                    FieldError(
                        f"{gpath}.goods_line_id",
                        "goods_line_unknown",
                        M["goods_line_unknown"].format(value=goods.goods_line_id),
                    )
                )
                continue
            for field, value in (
                ("quantity", goods.quantity),
                ("gross_weight_kg", goods.gross_weight_kg),
            ):
                if value <= 0:
                    errors.append(
                        FieldError(
                            f"{gpath}.{field}",
                            "positive",
                            Text("Phải lớn hơn 0.", "Must be greater than 0.", "必须大于 0。"),
                        )
                    )
            already[line.pk] = already.get(line.pk, Decimal(0)) + goods.quantity
            if already[line.pk] > line.quantity:
                errors.append(
                    FieldError(
                        f"{gpath}.quantity",
                        "goods_line_exceeded",
                        M["goods_line_exceeded"].format(value=line.pk, declared=line.quantity),
                    )
                )
        cleaned.append((vehicle, truck.goods))
    if errors:
        raise invalid(errors)
    return cleaned


# --- Building blocks ------------------------------------------------------------------------


def _user(actor: Actor) -> User:
    if actor.user is None:
        raise TypeError("this action needs a user")
    return actor.user


def _yard(code: str) -> tuple[Yard, frozenset[int]]:
    """An active yard and the gates it serves, from the reference cache."""
    index = reference_index()
    yard = index.yards.get(code.upper())
    if yard is None:
        raise invalid([FieldError("yard", "yard_unknown", M["yard_unknown"].format(value=code))])
    return yard, index.yard_gate_ids[yard.code]


def _lock_declaration(user: User, declaration_id: int) -> Declaration:
    require_enterprise(user)
    declaration = declaration_for(user, declaration_id)
    # Lock after the scoped read, so that a stranger never learns the row exists.
    return (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("gate", "passage", "regime", "enterprise")
        .get(pk=declaration.pk)
    )


def lock_trip(user: User, code: str) -> Trip:
    """Read a trip the user may see, row-locked until the transaction ends (one query where the
    user's scope allows it), with its reference rows attached from the cache.

    The scope (``trips_for``) holds officers to their gates: a trip found here is at one of
    them, so callers need no gate check of their own."""
    code = qr.normalize_code(code)
    if not qr.is_code(code):
        raise trip_not_found(code[:20])
    visible = trips_for(user)
    if visible.query.distinct:
        # Officers' scopes need DISTINCT, which FOR UPDATE refuses: find the row, then lock it.
        pk = visible.filter(code=code).values_list("pk", flat=True).first()
        visible = Trip.objects.filter(pk=pk) if pk else Trip.objects.none()
    else:
        visible = visible.filter(code=code)
    try:
        # get(), not first(): a code is unique, and an ORDER BY would invite the planner to walk
        # the whole table in that order.
        trip = (
            visible.select_for_update(of=("self",))
            .select_related("declaration", "declaration__enterprise")
            .get()
        )
    except Trip.DoesNotExist:
        raise trip_not_found(code) from None
    attach_reference(trip, reference_index())
    return trip


def _state_refusal(trip: Trip, what: str) -> Text:
    from cuakhau.declarations.lifecycle import STATE_NAMES

    state = STATE_NAMES[TripState(trip.state)]
    return Text(
        vi=f"Chuyến {trip.code} đang «{state.vi}»: chưa thể sang tải.",
        en=f"Trip {trip.code} is «{state.en}»: it cannot be transshipped yet.",
        zh=f"车次 {trip.code} 当前为「{state.zh}」：暂不能换装。",
    )


def trip_transition(
    trip: Trip,
    action: Action,
    actor: Actor,
    *,
    now: datetime,
    reason: str = "",
    yard: Yard | None = None,
    extra: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> TripEvent:
    """Move a trip by ``action``: a conditional update on the state it was read in, plus its
    event. A concurrent change makes the update miss and raises ``Conflict``."""
    before = TripState(trip.state)
    held_from = TripState(trip.held_from) if trip.held_from else None
    step = next_state(trip.declaration.direction, before, action, held_from=held_from)
    fields: dict[str, Any] = {
        "state": step.after,
        "state_changed_at": now,
        "held_from": step.held_from.value if step.held_from else "",
        **(extra or {}),
    }
    updated = Trip.objects.filter(pk=trip.pk, state=before).update(**fields)
    if updated != 1:
        raise Conflict("concurrent_update", M["concurrent"])
    for name, value in fields.items():
        setattr(trip, name, value)
    return trip_event(
        trip,
        action.value,
        before,
        step.after,
        actor,
        now=now,
        reason=reason,
        yard_id=yard.pk if yard else (trip.yard_id if before in IN_YARD else None),
        data=data,
    )


def trip_event(
    trip: Trip,
    action: str,
    before: str,
    after: str,
    actor: Actor,
    *,
    now: datetime,
    reason: str = "",
    yard_id: int | None = None,
    data: dict[str, Any] | None = None,
    save: bool = True,
) -> TripEvent:
    event = TripEvent(
        trip=trip,
        action=action,
        state_before=before,
        state_after=after,
        actor=actor.user,
        actor_kind=actor.kind,
        actor_label=actor.label[:150],
        at=now,
        gate_id=trip.declaration.gate_id,
        yard_id=yard_id,
        reason=reason,
        data=data or {},
    )
    if save:
        event.save()
    return event


def _insert_with_unique_code(create: Any, prefix: str = "") -> Any:
    """Create a row with a fresh random code; on the (rare) collision try another."""
    for _attempt in range(5):
        code = prefix + qr.new_code(qr.CODE_LENGTH - len(prefix))
        try:
            with transaction.atomic():
                return create(code)
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a unique code")


def _header_fields(clean: DeclarationDoc, index: ReferenceIndex) -> dict[str, Any]:
    payer = clean.fee_payer
    assert payer is not None  # validation fills the declarant in
    return {
        "direction": clean.direction,
        "regime_id": index.regime_ids[clean.regime],
        "gate_id": index.gate_ids[clean.gate],
        "passage_id": index.passage_ids[clean.passage],
        "planned_arrival": clean.planned_arrival,
        "perishable": clean.perishable,
        "fee_payer_name": payer.name,
        "fee_payer_country": payer.country,
        "fee_payer_tax_code": payer.tax_code,
        "road_manifest_number": clean.road_manifest_number,
        "note": clean.note,
    }


def _write_goods(declaration: Declaration, clean: DeclarationDoc) -> list[CustomsDeclaration]:
    """The customs declarations and their goods lines; each row carries its lines."""
    index = reference_index()
    customs = CustomsDeclaration.objects.bulk_create(
        CustomsDeclaration(
            declaration=declaration,
            position=i,
            number=cd.number,
            type_id=index.declaration_type_ids[cd.type_code],
        )
        for i, cd in enumerate(clean.customs_declarations)
    )
    lines = GoodsLine.objects.bulk_create(
        GoodsLine(
            customs_declaration=row,
            position=j,
            description=line.description,
            hs_code=line.hs_code,
            origin_country=line.origin_country,
            quantity=line.quantity,
            unit=line.unit,
            gross_weight_kg=line.gross_weight_kg,
            value=line.value,
            currency=line.currency,
        )
        for row, cd in zip(customs, clean.customs_declarations, strict=True)
        for j, line in enumerate(cd.lines)
    )
    for row in customs:
        _set_prefetched(row, lines=[line for line in lines if line.customs_declaration is row])
    return customs


def _trip_fields(doc: TripDoc, index: ReferenceIndex) -> dict[str, Any]:
    return {
        "tractor_plate": doc.tractor_plate,
        "tractor_country": doc.tractor_country,
        "trailer_plate": doc.trailer_plate,
        "trailer_country": doc.trailer_country,
        "vehicle_class_id": index.vehicle_class_ids[doc.vehicle_class],
        "driver_name": doc.driver_name,
        "driver_id_number": doc.driver_id_number,
        "driver_nationality": doc.driver_nationality,
        "driver_phone": doc.driver_phone,
        "gross_weight_kg": doc.gross_weight_kg,
    }


def _new_trips(
    declaration: Declaration,
    docs: Sequence[TripDoc],
    index: ReferenceIndex,
    now: datetime,
    *,
    first_position: int = 0,
    state: TripState = TripState.DRAFT,
) -> list[Trip]:
    return [
        Trip(
            declaration=declaration,
            code=qr.new_code(),
            position=first_position + i,
            state=state,
            state_changed_at=now,
            created_at=now,
            **_trip_fields(doc, index),
        )
        for i, doc in enumerate(docs)
    ]


def _insert_trips(
    declaration: Declaration,
    docs: Iterable[TripDoc],
    index: ReferenceIndex,
    now: datetime,
    *,
    first_position: int = 0,
) -> list[Trip]:
    """Draft trips added to a stored declaration, with their containers."""
    docs = list(docs)
    for _attempt in range(5):
        trips = _new_trips(declaration, docs, index, now, first_position=first_position)
        try:
            with transaction.atomic():
                trips = Trip.objects.bulk_create(trips)
            break
        except IntegrityError:  # a trip code collided: draw new ones
            continue
    else:
        raise RuntimeError("could not draw unique trip codes")
    _insert_trip_containers(trips, docs)
    for trip, doc in zip(trips, docs, strict=True):
        doc.code = trip.code
    return trips


def _insert_trip_containers(trips: Sequence[Trip], docs: Sequence[TripDoc]) -> None:
    containers = Container.objects.bulk_create(
        Container(trip=trip, position=k, number=c.number, size_ft=c.size_ft or 40, seals=c.seals)
        for trip, doc in zip(trips, docs, strict=True)
        for k, c in enumerate(doc.containers)
    )
    for trip in trips:
        _set_prefetched(trip, containers=[c for c in containers if c.trip is trip])


def _set_prefetched(row: Any, **related: list[Any]) -> None:
    """Hand rows just written to ``row.<relation>.all()`` as if prefetched (no re-read), the
    way Django's own prefetch_related stores them."""
    cache = row.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in related.items():
        cache.pop(name, None)
        queryset = getattr(row, name).get_queryset()
        queryset._result_cache = rows
        queryset._prefetch_done = True
        cache[name] = queryset


def _attach(
    declaration: Declaration,
    index: ReferenceIndex,
    *,
    customs: list[CustomsDeclaration],
    trips: list[Trip],
    checks: list[AgencyCheck],
) -> None:
    """Give a declaration built in this request its related rows, from memory and the cached
    reference data, so that presenting it reads nothing more."""
    declaration.gate = index.row("gate", declaration.gate_id)
    declaration.passage = index.row("passage", declaration.passage_id)
    declaration.regime = index.row("regime", declaration.regime_id)
    for row in customs:
        row.type = index.row("declaration_type", row.type_id)
    for trip in trips:
        trip.vehicle_class = index.row("vehicle_class", trip.vehicle_class_id)
        trip_checks = [check for check in checks if check.trip is trip]
        for check in trip_checks:
            check.agency = index.row("agency", check.agency_id)
        _set_prefetched(trip, checks=trip_checks)
    _set_prefetched(declaration, customs_declarations=customs, trips=trips)


def _insert_containers(trip: Trip, doc: TripDoc) -> None:
    Container.objects.bulk_create(
        Container(trip=trip, position=k, number=c.number, size_ft=c.size_ft or 40, seals=c.seals)
        for k, c in enumerate(doc.containers)
    )


def _required_agency_ids(
    declaration: Declaration, clean: DeclarationDoc, index: ReferenceIndex
) -> list[int]:
    hs_codes = {line.hs_code for cd in clean.customs_declarations for line in cd.lines}
    agencies = required_agencies(
        sorted(hs_codes),
        gate_requires_medical_quarantine=declaration.gate_id in index.medical_gates,
    )
    return [index.agency_ids[a] for a in agencies]


def _create_checks(
    trips: Iterable[Trip], agency_ids: Sequence[int], now: datetime
) -> list[AgencyCheck]:
    return AgencyCheck.objects.bulk_create(
        AgencyCheck(trip=trip, agency_id=agency_id, created_at=now)
        for trip in trips
        for agency_id in agency_ids
    )


def _submit(
    declaration: Declaration,
    trips: list[Trip],
    clean: DeclarationDoc,
    actor: Actor,
    now: datetime,
    index: ReferenceIndex,
) -> None:
    """A stored draft becomes submitted: its trips DRAFT → DECLARED."""
    expires_at = declaration.planned_arrival + timedelta(hours=settings.DECLARATION_VALIDITY_HOURS)
    Declaration.objects.filter(pk=declaration.pk).update(
        status=Declaration.Status.SUBMITTED,
        submitted_at=now,
        expires_at=expires_at,
        updated_at=now,
        version=1,
    )
    declaration.status = Declaration.Status.SUBMITTED
    declaration.submitted_at = now
    declaration.expires_at = expires_at
    declaration.version = 1
    for trip in trips:
        next_state(declaration.direction, TripState(trip.state), Action.SUBMIT)
    Trip.objects.filter(pk__in=[t.pk for t in trips], state=TripState.DRAFT).update(
        state=TripState.DECLARED, state_changed_at=now
    )
    for trip in trips:
        trip.state = TripState.DECLARED
    _declare(declaration, trips, clean, actor, now, index)


def _declare(
    declaration: Declaration,
    trips: list[Trip],
    clean: DeclarationDoc,
    actor: Actor,
    now: datetime,
    index: ReferenceIndex,
) -> list[AgencyCheck]:
    """What submitting records: a DRAFT → DECLARED event per trip, the checks the cargo needs,
    and the declaration's version 1."""
    _record_declared(trips, actor, now)
    checks = _create_checks(trips, _required_agency_ids(declaration, clean, index), now)
    _write_version(declaration, clean, _user(actor), now, reason="submit")
    return checks


def _record_declared(trips: Iterable[Trip], actor: Actor, now: datetime, reason: str = "") -> None:
    """The DRAFT → DECLARED event of each trip, in one statement."""
    TripEvent.objects.bulk_create(
        trip_event(
            trip,
            Action.SUBMIT.value,
            TripState.DRAFT,
            TripState.DECLARED,
            actor,
            now=now,
            reason=reason,
            save=False,
        )
        for trip in trips
    )


def _write_version(
    declaration: Declaration, clean: DeclarationDoc, user: User, now: datetime, *, reason: str
) -> None:
    DeclarationVersion.objects.create(
        declaration=declaration,
        number=declaration.version,
        document=corrections.canonical(clean),
        created_by=user,
        created_at=now,
        reason=reason[:500],
    )


def _has_checked_in(declaration: Declaration) -> bool:
    return declaration.trips.exclude(
        state__in=[TripState.DRAFT, TripState.DECLARED, TripState.CANCELLED]
    ).exists()


def _trip_states(declaration: Declaration) -> dict[str, str]:
    return dict(declaration.trips.values_list("code", "state"))


def _require_editable(declaration: Declaration) -> None:
    if declaration.status == Declaration.Status.CANCELLED:
        raise Conflict("cancelled", M["cancelled"])
    if declaration.status == Declaration.Status.SUBMITTED and _has_checked_in(declaration):
        raise Conflict("correction_required", M["not_editable"])


def _apply_document(
    declaration: Declaration, clean: DeclarationDoc, actor: Actor, *, reason: str
) -> None:
    """Make the stored declaration match ``clean``: header, goods, trips (matched by code).

    Drafts change in place. A submitted declaration gets a new version; changed trips get an
    ``amend`` event with before/after; trips left out are cancelled; new trips are declared.
    """
    index = reference_index()
    now = timezone.now()
    submitted = declaration.status == Declaration.Status.SUBMITTED
    header = _header_fields(clean, index)
    if submitted:
        # Header fields that place the trip at a gate cannot move once others rely on them.
        header.pop("direction"), header.pop("gate_id"), header.pop("passage_id")
    for name, value in header.items():
        setattr(declaration, name, value)
    declaration.updated_at = now
    if submitted:
        declaration.version += 1
        declaration.expires_at = declaration.planned_arrival + timedelta(
            hours=settings.DECLARATION_VALIDITY_HOURS
        )
    declaration.save()

    if _goods_changed(declaration, clean):
        if TransshipmentLine.objects.filter(
            goods_line__customs_declaration__declaration=declaration
        ).exists():
            raise Conflict("goods_transshipped", M["goods_transshipped"])
        # Goods lines carry no history of their own: the versions keep every earlier list.
        CustomsDeclaration.objects.filter(declaration=declaration).delete()
        _write_goods(declaration, clean)

    existing = {
        trip.code: trip
        for trip in declaration.trips.select_for_update(of=("self",))
        .select_related("vehicle_class", "declaration")
        .prefetch_related("containers")
        .filter(source_trip__isnull=True)
    }
    kept: set[str] = set()
    new_docs: list[TripDoc] = []
    for doc in clean.trips:
        trip = existing.get(doc.code or "")
        if trip is None:
            new_docs.append(doc)
            continue
        kept.add(trip.code)
        before = _trip_doc(trip)
        fields = _trip_fields(doc, index)
        for name, value in fields.items():
            setattr(trip, name, value)
        trip.save(update_fields=list(fields))
        trip.containers.all().delete()
        _insert_containers(trip, doc)
        after = {**_trip_doc(trip), "vehicle_class": doc.vehicle_class}
        changes = corrections.document_changes(
            corrections.jsonable(before), corrections.jsonable(after)
        )
        if submitted and changes:
            trip_event(
                trip,
                "amend",
                trip.state,
                trip.state,
                actor,
                now=now,
                reason=reason,
                data={"version": declaration.version, "changes": changes},
            )

    removed = [trip for code, trip in existing.items() if code not in kept]
    if submitted:
        for trip in removed:
            if trip.state != TripState.CANCELLED:
                trip_transition(
                    trip,
                    Action.CANCEL,
                    actor,
                    now=now,
                    reason=f"removed in version {declaration.version}",
                )
    else:
        Trip.objects.filter(pk__in=[t.pk for t in removed]).delete()

    first = declaration.trips.count()
    added = _insert_trips(declaration, new_docs, index, now, first_position=first)
    if submitted:
        Trip.objects.filter(pk__in=[t.pk for t in added]).update(state=TripState.DECLARED)
        for trip in added:
            trip.state = TripState.DECLARED
        _record_declared(added, actor, now, reason=reason)
        _sync_checks(declaration, clean, index, now)
        _write_version(declaration, clean, _user(actor), now, reason=reason)


def _goods_changed(declaration: Declaration, clean: DeclarationDoc) -> bool:
    stored = corrections.canonical(declaration_document(declaration))["customs_declarations"]
    wanted = corrections.canonical(clean)["customs_declarations"]
    return bool(stored != wanted)


def _sync_checks(
    declaration: Declaration, clean: DeclarationDoc, index: ReferenceIndex, now: datetime
) -> None:
    """After goods change: add checks newly required; drop pending ones no longer required."""
    required = set(_required_agency_ids(declaration, clean, index))
    live = declaration.trips.exclude(
        state__in=[TripState.CANCELLED, TripState.DEPARTED, TripState.REFUSED]
    ).filter(source_trip__isnull=True)
    AgencyCheck.objects.filter(trip__in=live, status=CheckStatus.PENDING).exclude(
        agency_id__in=required
    ).delete()
    have = set(AgencyCheck.objects.filter(trip__in=live).values_list("trip_id", "agency_id"))
    AgencyCheck.objects.bulk_create(
        AgencyCheck(trip=trip, agency_id=agency_id, created_at=now)
        for trip in live
        for agency_id in sorted(required)
        if (trip.pk, agency_id) not in have
    )
