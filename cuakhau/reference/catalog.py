"""The reference data as one in-memory index, shared by validation and the services.

Reference data changes a few times a year but is read on every declaration, so each process keeps
it for ``TTL`` seconds and drops it at once when the admin saves a row (other processes catch up
within the TTL).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save

from cuakhau.declarations.rules import Catalog, GateRef, PassageRef, RegimeRef

TTL = 60.0


@dataclass(frozen=True, slots=True)
class ReferenceIndex:
    catalog: Catalog
    gate_ids: dict[str, int]
    passage_ids: dict[str, int]
    regime_ids: dict[str, int]
    declaration_type_ids: dict[str, int]
    vehicle_class_ids: dict[str, int]
    agency_ids: dict[str, int]
    medical_gates: frozenset[int]


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
    from cuakhau.gates.models import Gate, Passage
    from cuakhau.reference.models import CustomsDeclarationType, GoodsRegime, VehicleClass

    gates = list(Gate.objects.filter(is_active=True))
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
        agency_ids=dict(Agency.objects.values_list("code", "id")),
        medical_gates=frozenset(g.id for g in gates if g.requires_medical_quarantine),
    )


def connect_signals() -> None:
    from cuakhau.accounts.models import Agency
    from cuakhau.gates.models import Gate, Passage
    from cuakhau.reference.models import CustomsDeclarationType, GoodsRegime, VehicleClass

    for model in (Gate, Passage, GoodsRegime, CustomsDeclarationType, VehicleClass, Agency):
        post_save.connect(forget_reference_index, sender=model, weak=False)
        post_delete.connect(forget_reference_index, sender=model, weak=False)
