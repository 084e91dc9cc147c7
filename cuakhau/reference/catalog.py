"""The reference data as one in-memory index, shared by validation and the services.

Reference data changes a few times a year but is read on every declaration, so each process keeps
it for ``TTL`` seconds and drops it at once when the admin saves a row (other processes catch up
within the TTL).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from cuakhau.declarations.rules import Catalog, GateRef, PassageRef, RegimeRef

TTL = 60.0


@dataclass(frozen=True, slots=True)
class ReferenceIndex:
    """Codes to ids for writing, and the rows themselves (read-only!) so that hot paths can attach
    them to trips and declarations instead of joining their tables again."""

    catalog: Catalog
    gate_ids: dict[str, int]
    passage_ids: dict[str, int]
    regime_ids: dict[str, int]
    declaration_type_ids: dict[str, int]
    vehicle_class_ids: dict[str, int]
    agency_ids: dict[str, int]
    medical_gates: frozenset[int]
    rows: dict[str, dict[int, Any]]
    yards: dict[str, Any]
    yard_gate_ids: dict[str, frozenset[int]]

    def row(self, kind: str, pk: int) -> Any:
        return self.rows[kind][pk]


_lock = threading.Lock()
_cached: tuple[float, ReferenceIndex] | None = None


def reference_index() -> ReferenceIndex:
    global _cached
    cached = _cached
    if cached is not None and time.monotonic() - cached[0] < TTL:
        return cached[1]
    with _lock:
        index = _load()
        _cached = (time.monotonic(), index)
    return index


def forget_reference_index(**_: object) -> None:
    global _cached
    _cached = None


def _load() -> ReferenceIndex:
    from cuakhau.accounts.models import Agency
    from cuakhau.gates.models import Gate, Passage, Yard
    from cuakhau.reference.models import CustomsDeclarationType, GoodsRegime, VehicleClass

    gates = list(Gate.objects.filter(is_active=True))
    yards = list(Yard.objects.filter(is_active=True).prefetch_related("gates"))
    agencies = list(Agency.objects.all())
    passages = list(Passage.objects.filter(is_active=True, gate__is_active=True))
    passages_by_gate: dict[int, dict[str, PassageRef]] = {gate.id: {} for gate in gates}
    for passage in passages:
        passages_by_gate[passage.gate_id][passage.code] = PassageRef(
            passage.code, passage.allows_export, passage.allows_import
        )
    regimes = list(GoodsRegime.objects.all())
    types = list(CustomsDeclarationType.objects.all())
    classes = list(VehicleClass.objects.all())
    catalog = Catalog(
        gates={
            gate.code: GateRef(
                gate.code, passages_by_gate[gate.id], gate.requires_medical_quarantine
            )
            for gate in gates
        },
        regimes={r.code: RegimeRef(r.code, r.allows_export, r.allows_import) for r in regimes},
        declaration_types={t.code: t.direction for t in types},
        vehicle_classes=frozenset(vc.code for vc in classes),
    )
    return ReferenceIndex(
        catalog=catalog,
        gate_ids={gate.code: gate.id for gate in gates},
        passage_ids={p.code: p.id for p in passages},
        regime_ids={r.code: r.id for r in regimes},
        declaration_type_ids={t.code: t.id for t in types},
        vehicle_class_ids={vc.code: vc.id for vc in classes},
        agency_ids={a.code: a.id for a in agencies},
        medical_gates=frozenset(g.id for g in gates if g.requires_medical_quarantine),
        rows={
            "gate": {g.id: g for g in gates},
            "passage": {p.id: p for p in passages},
            "regime": {r.id: r for r in regimes},
            "declaration_type": {t.id: t for t in types},
            "vehicle_class": {vc.id: vc for vc in classes},
            "agency": {a.id: a for a in agencies},
            "yard": {y.id: y for y in yards},
        },
        yards={y.code: y for y in yards},
        yard_gate_ids={y.code: frozenset(g.id for g in y.gates.all()) for y in yards},
    )


def connect_signals() -> None:
    from cuakhau.accounts.models import Agency
    from cuakhau.gates.models import Gate, Passage, Yard
    from cuakhau.reference.models import CustomsDeclarationType, GoodsRegime, VehicleClass

    for model in (Gate, Passage, Yard, GoodsRegime, CustomsDeclarationType, VehicleClass, Agency):
        post_save.connect(forget_reference_index, sender=model, weak=False)
        post_delete.connect(forget_reference_index, sender=model, weak=False)
    m2m_changed.connect(forget_reference_index, sender=Yard.gates.through, weak=False)
