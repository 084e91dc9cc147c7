"""``cuakhau seed-reference``: create or update Lạng Sơn's reference data (never deletes)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from cuakhau.reference import seed_data


class Command(BaseCommand):
    help = "Create or update gates, passages, yards, agencies, vehicle classes, regimes, codes."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            seed_data.load(apps)
            seed_data.load_capacity(apps)
        self.stdout.write(
            f"Reference data: {len(seed_data.GATES)} gates, {len(seed_data.PASSAGES)} passages, "
            f"{len(seed_data.YARDS)} yards, {len(seed_data.AGENCIES)} agencies, "
            f"{len(seed_data.VEHICLE_CLASSES)} vehicle classes, {len(seed_data.REGIMES)} regimes, "
            f"{len(seed_data.DECLARATION_TYPES)} declaration types."
        )
