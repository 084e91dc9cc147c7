"""What the queue tells people: error messages and the notices of calls and no-shows, in
Vietnamese, English and Chinese (drivers on both sides of the border read them)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cuakhau.core.text import Text
from cuakhau.gates.capacity import both_local_times
from cuakhau.notifications.services import Notice

if TYPE_CHECKING:
    from cuakhau.accounts.models import Enterprise
    from cuakhau.declarations.models import Trip
    from cuakhau.queueing.models import BookingBlock, QueueEntry

REASON_REQUIRED = Text("Phải ghi rõ lý do.", "A reason is required.", "必须填写原因。")
CONCURRENT = Text(
    "Hàng chờ vừa thay đổi. Hãy thử lại.",
    "The queue has just changed. Try again.",
    "排队情况刚刚变化，请重试。",
)
BOOKING_RATE = Text(
    "Doanh nghiệp đặt chỗ quá nhanh. Hãy chờ một phút rồi thử lại.",
    "Your enterprise is booking too fast. Wait a minute and try again.",
    "贵企业预约过于频繁，请一分钟后再试。",
)
BOOKING_STATE = Text(
    "Chỉ đặt được khung giờ cho chuyến đã khai báo và chưa vào bãi ({code}).",
    "Slots can be booked only for declared trips not yet at the yard ({code}).",
    "只能为已申报且尚未入场的车次预约时段（{code}）。",
)
BOOKING_EXISTS = Text(
    "Chuyến {code} đã có khung giờ. Hủy khung giờ cũ trước khi đặt lại.",
    "Trip {code} already has a slot. Cancel it before booking another.",
    "车次 {code} 已有预约时段。请先取消再重新预约。",
)
BOOKING_NONE = Text(
    "Chuyến {code} không có khung giờ đang đặt.",
    "Trip {code} has no booked slot.",
    "车次 {code} 没有有效的预约时段。",
)
BOOKING_BLOCKED = Text(
    "Doanh nghiệp bị tạm khóa đặt chỗ đến {until} (không đến khi được gọi hoặc hủy nhiều lần).",
    "Your enterprise may not book slots until {until} (no-shows or repeated cancellations).",
    "贵企业在 {until} 之前不能预约（叫号未到或多次取消）。",
)
BLOCK_NO_SHOWS = Text(
    "Hai lần liên tiếp không đến khi được gọi.",
    "Two no-shows in a row.",
    "连续两次叫号未到。",
)
BLOCK_CANCELLATIONS = Text(
    "Hủy khung giờ hai lần trong 30 ngày.",
    "Two slot cancellations within 30 days.",
    "30 天内两次取消预约。",
)
SLOT_FULL = Text(
    "Khung giờ {hour} đã kín. Khung giờ còn chỗ gần nhất: {free}.",
    "The {hour} slot is full. Nearest free slots: {free}.",
    "{hour} 时段已满。最近的空闲时段：{free}。",
)
SLOT_ON_HOUR = Text(
    "Khung giờ phải bắt đầu đúng giờ (ví dụ 09:00).",
    "A slot starts on the hour (for example 09:00).",
    "时段须从整点开始（例如 09:00）。",
)
SLOT_PAST = Text(
    "Chỉ đặt được khung giờ từ giờ tới trở đi.",
    "Slots can be booked from the next hour on.",
    "只能预约下一个整点及以后的时段。",
)
SLOT_TOO_FAR = Text(
    "Chỉ đặt trước được tối đa {days} ngày.",
    "Slots can be booked at most {days} days ahead.",
    "最多只能提前 {days} 天预约。",
)
NO_PLAN = Text(
    "Lối thông quan chưa có kế hoạch năng lực cho chiều này.",
    "The passage has no capacity plan for this direction.",
    "该通道此方向尚无通行能力计划。",
)
PASSAGE_NONE = Text(
    "Không có lối thông quan «{code}».", "There is no passage «{code}».", "不存在通道「{code}」。"
)
ROOM_FULL = Text(
    "Khu vực kiểm soát đã đủ xe ({room} xe). Chờ xe ra rồi gọi tiếp.",
    "The control area is full ({room} trucks). Wait for trucks to leave before calling.",
    "监管区已满（{room} 辆）。请待车辆离开后再叫号。",
)
OUT_OF_TURN = Text(
    "Chuyến này chưa đến lượt: gọi trước lượt phải ghi lý do (được công khai).",
    "This truck is not next in line: calling it out of turn needs a reason (made public).",
    "该车未轮到：插队叫号须填写原因（将公开）。",
)
NOT_WAITING = Text(
    "Chuyến {code} không đang chờ trong hàng.",
    "Trip {code} is not waiting in the queue.",
    "车次 {code} 不在排队中。",
)
NOT_CALLED = Text(
    "Chuyến {code} không đang được gọi.",
    "Trip {code} is not called at the moment.",
    "车次 {code} 当前未被叫号。",
)
ALREADY_EXTENDED = Text(
    "Chuyến {code} đã được gia hạn một lần.",
    "Trip {code} has already had its one extension.",
    "车次 {code} 已延期过一次。",
)
CALL_EXPIRED = Text(
    "Lượt gọi của chuyến {code} đã hết hạn.",
    "The call of trip {code} has expired.",
    "车次 {code} 的叫号已过期。",
)
PLATES_CHANGED = Text(
    "Biển số xe khác với biển số đã đặt khung giờ: khung giờ không dùng được.",
    "The plates differ from those the slot was booked for: the slot cannot be used.",
    "车牌与预约时的车牌不同：该时段不能使用。",
)
GOODS_GROUP = Text(
    "Không có nhóm hàng «{value}» (fruit, vegetables, electronics, general).",
    "There is no goods group «{value}» (fruit, vegetables, electronics, general).",
    "不存在货物类别「{value}」（fruit、vegetables、electronics、general）。",
)
EXPIRED_REASON = Text(
    "Hết thời gian đến sau khi được gọi.",
    "Did not arrive in time after the call.",
    "叫号后未按时到达。",
)
CALENDAR_KIND = Text(
    "Loại mục lịch phải là «closure» (đóng cửa) hoặc «extended» (kéo dài giờ làm việc).",
    "The kind is «closure» or «extended» (extended hours).",
    "类型须为「closure」（关闭）或「extended」（延长工作时间）。",
)
CALENDAR_CAUSE = Text(
    "Không có lý do «{value}» (holiday, partner_closed, event, peak_season, other).",
    "There is no cause «{value}» (holiday, partner_closed, event, peak_season, other).",
    "不存在原因「{value}」（holiday、partner_closed、event、peak_season、other）。",
)
CALENDAR_NAME = Text(
    "Phải ghi tên bằng tiếng Việt (ví dụ «Tết Nguyên Đán»).",
    "A Vietnamese name is required (for example «Tết Nguyên Đán»).",
    "必须填写越南语名称（例如「Tết Nguyên Đán」）。",
)
CALENDAR_ENDS_FIRST = Text(
    "Thời điểm kết thúc phải sau thời điểm bắt đầu.",
    "The end must come after the start.",
    "结束时间必须晚于开始时间。",
)
CALENDAR_TOO_LONG = Text(
    "Một mục lịch dài tối đa {days} ngày.",
    "A calendar entry lasts at most {days} days.",
    "日历条目最长 {days} 天。",
)
CALENDAR_PAST = Text(
    "Thời điểm kết thúc đã qua.",
    "The end is in the past.",
    "结束时间已过。",
)
CALENDAR_TOO_FAR = Text(
    "Chỉ ghi lịch trước tối đa {days} ngày.",
    "Calendar entries start at most {days} days ahead.",
    "日历条目最多只能提前 {days} 天。",
)
CALENDAR_NONE = Text(
    "Không có mục lịch số {id}.",
    "There is no calendar entry {id}.",
    "不存在编号为 {id} 的日历条目。",
)
CALENDAR_ENDED = Text(
    "Mục lịch này đã kết thúc và được giữ lại làm hồ sơ.",
    "This calendar entry has ended and is kept on record.",
    "该日历条目已结束，作为记录保留。",
)


def call_notice(trip: Trip, entry: QueueEntry, expires: datetime) -> Notice:
    vietnam, china = both_local_times(expires)
    text = Text(
        f"Cua khau so: xe {trip.tractor_plate} (so {entry.number}) duoc goi len cua khau, "
        f"lan {entry.lane}. Vao truoc {vietnam[:5]} (gio VN).",
        f"Cua khau so: truck {trip.tractor_plate} (no. {entry.number}) is called to the "
        f"border, lane {entry.lane}. Enter before {vietnam[:5]} Vietnam time.",
        f"数字口岸：车辆 {trip.tractor_plate}（{entry.number} 号）请到口岸 {entry.lane} 号车道，"
        f"北京时间 {china[:5]} 前进入。",
    )
    sms = text.zh if trip.driver_nationality == "CN" else text.vi
    return Notice(
        kind="trip.called",
        event_id=f"{trip.code}:call:{entry.called_at.isoformat() if entry.called_at else ''}",
        payload={
            "trip": trip.code,
            "state": "CALLED",
            "tractor_plate": trip.tractor_plate,
            "queue_number": entry.number,
            "lane": entry.lane,
            "rule": entry.call_rule,
            "called_at": entry.called_at.isoformat() if entry.called_at else None,
            "expires_at": expires.isoformat(),
        },
        enterprise_id=trip.declaration.enterprise_id,
        sms_to=trip.driver_phone,
        sms_text=sms,
    )


def no_show_notice(trip: Trip, entry: QueueEntry) -> Notice:
    text = Text(
        f"Cua khau so: xe {trip.tractor_plate} khong den kip sau khi duoc goi, da xep lai hang.",
        f"Cua khau so: truck {trip.tractor_plate} missed its call and is back in the queue.",
        f"数字口岸：车辆 {trip.tractor_plate} 叫号后未按时到达，已重新排队。",
    )
    return Notice(
        kind="trip.call_expired",
        event_id=f"{trip.code}:no_show:{entry.joined_at.isoformat()}",
        payload={
            "trip": trip.code,
            "state": "ARRIVED",
            "tractor_plate": trip.tractor_plate,
            "queue_number": entry.number,
            "no_shows": entry.no_shows,
        },
        enterprise_id=trip.declaration.enterprise_id,
        sms_to=trip.driver_phone,
        sms_text=text.zh if trip.driver_nationality == "CN" else text.vi,
    )


def block_notice(block: BookingBlock, enterprise: Enterprise, why: Text) -> Notice:
    """The enterprise is told by e-mail (and its webhooks) that it may not book for a while."""
    until = both_local_times(block.ends_at)
    subject = Text("Tạm khóa đặt khung giờ", "Slot booking suspended", "预约已暂停")
    body = Text(
        f"Doanh nghiệp {enterprise.name} không thể đặt khung giờ mới đến {until[0]} (giờ Việt "
        f"Nam). Lý do: {why.vi} Khung giờ đã đặt vẫn giữ nguyên; xe vẫn có thể vào hàng chờ "
        "thường khi đến bãi.",
        f"{enterprise.name_en or enterprise.name} may not book new slots until {until[0]} "
        f"(Vietnam time). Reason: {why.en} Slots already booked stand; trucks can still join "
        "the living queue at the yard.",
        f"{enterprise.name_zh or enterprise.name} 在 {until[1]}（北京时间）之前不能预约新时段。"
        f"原因：{why.zh} 已预约的时段保持有效；车辆到达堆场后仍可正常排队。",
    )
    return Notice(
        kind="enterprise.booking_blocked",
        event_id=f"booking-block:{block.pk}",
        payload={
            "enterprise": enterprise.tax_code,
            "starts_at": block.starts_at.isoformat(),
            "ends_at": block.ends_at.isoformat(),
            "reason": {"vi": why.vi, "en": why.en, "zh": why.zh},
        },
        enterprise_id=enterprise.pk,
        email_to=enterprise.email,
        email_subject=f"Cửa khẩu số — {subject.vi} / {subject.en} / {subject.zh}",
        email_body="\n\n".join([body.vi, body.en, body.zh]),
    )
