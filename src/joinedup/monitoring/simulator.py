"""Home monitoring kits for the demo caseload: plausible readings for each patient on a virtual ward, with
now and then one who deteriorates, published over MQTT as the gateway expects (or stored directly).

The numbers are synthetic (assumption: adult resting values with small random variation, and a slow
deterioration that raises NEWS2 over a few readings); they exist so the caseload board moves in a demo.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.monitoring.models import Device
from joinedup.monitoring.observations import ACVPU_CODE, LOINC, SNOMED, UCUM
from joinedup.monitoring.vitals import VITAL_SIGNS
from joinedup.wards import service as wards
from joinedup.wards.pathways import PATHWAYS

DEVICE_SYSTEM = "https://fhir.joinedup.example/Id/device"
CODE_OF = {sign.parameter: code for code, sign in VITAL_SIGNS.items() if code != "2708-6"}
# assumption: resting adult values (mean, spread) for synthetic readings, and how far each moves per step
# of deterioration (towards the NEWS2 danger bands)
USUAL: dict[str, tuple[float, float]] = {
    "pulse": (78, 6),
    "respiration_rate": (16, 1.5),
    "spo2": (96, 1.2),
    "systolic_bp": (128, 9),
    "temperature": (36.8, 0.25),
    "body_weight": (82, 8),
}
# assumption: how much one reading differs from the next in the same person
NOISE = {
    "pulse": 3,
    "respiration_rate": 1,
    "spo2": 0.7,
    "systolic_bp": 4,
    "temperature": 0.15,
    "body_weight": 0.3,
}
WORSE_PER_STEP = {
    "pulse": 9,
    "respiration_rate": 3,
    "spo2": -2,
    "systolic_bp": -9,
    "temperature": 0.6,
    "body_weight": 0.9,
}


@dataclass
class Kit:
    """One patient's home monitoring kit and the simulated state of the patient using it."""

    nhs_number: str
    device: str
    pathway: str
    usual: dict[str, float]
    worse: int = 0
    weighed_at: datetime | None = field(default=None)

    def readings(self, at: datetime, rng: random.Random) -> list[dict[str, Any]]:
        """One sitting's readings (the pathway's measures, and ACVPU), as FHIR Observations."""
        found = []
        for measure in PATHWAYS[self.pathway].measures:
            if (
                measure == "body_weight"
                and self.weighed_at
                and (at - self.weighed_at).total_seconds() < 20 * 3600
            ):
                continue
            usual = self.usual.get(measure, USUAL[measure][0])
            value = usual + WORSE_PER_STEP[measure] * self.worse + rng.gauss(0, NOISE[measure])
            if measure == "spo2":
                value = min(value, 100)
            found.append(
                observation(
                    self, measure, round(value, 1 if measure in ("temperature", "body_weight") else 0), at
                )
            )
            if measure == "body_weight":
                self.weighed_at = at
        found.append(consciousness(self, "A" if self.worse < 3 else "C", at))
        return found

    def step(self, rng: random.Random, chance_worse: float) -> None:
        """Most patients stay as they are or recover a little; a few get worse."""
        if rng.random() < chance_worse:
            self.worse = min(self.worse + 1, 4)
        elif self.worse and rng.random() < 0.3:
            self.worse -= 1


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _common(kit: Kit, at: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": kit.nhs_number}},
        "effectiveDateTime": _instant(at),
        "device": {"identifier": {"system": DEVICE_SYSTEM, "value": kit.device}},
    }


def observation(kit: Kit, measure: str, value: float, at: datetime) -> dict[str, Any]:
    code = CODE_OF[measure]
    unit = VITAL_SIGNS[code].unit
    return {
        **_common(kit, at),
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }


def consciousness(kit: Kit, letter: str, at: datetime) -> dict[str, Any]:
    return {
        **_common(kit, at),
        "code": {"coding": [{"system": SNOMED, "code": ACVPU_CODE}]},
        "valueString": letter,
    }


def kits_on_wards(session: Session, rng: random.Random) -> list[Kit]:
    """A kit for every patient on a virtual ward who has a device issued."""
    stays = {s.nhs_number: s for s in wards.open_admissions(session)}
    devices = session.scalars(select(Device).where(Device.nhs_number.in_(sorted(stays))).order_by(Device.id))
    kits = {}
    for device in devices:
        stay = stays[device.nhs_number or ""]
        usual = {m: rng.gauss(mean, spread) for m, (mean, spread) in USUAL.items()}
        kits[device.nhs_number] = Kit(stay.nhs_number, device.value, stay.pathway, usual)
    return list(kits.values())


def sittings(
    kits: list[Kit], rng: random.Random, chance_worse: float = 0.05
) -> Iterator[list[dict[str, Any]]]:
    """Endless sittings, one patient at a time round the caseload, each taken now."""
    while kits:
        for kit in kits:
            kit.step(rng, chance_worse)
            yield kit.readings(datetime.now(UTC), rng)


def publish(
    kits: list[Kit],
    *,
    host: str = "127.0.0.1",
    port: int = 1883,
    per_second: float = 2.0,
    duration: float | None = None,
    seed: int = 1,
) -> int:
    """Publish sittings over MQTT to `joinedup/readings/<device>` at `per_second`; the number sent."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    rng = random.Random(seed)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"joinedup-simulator-{seed}")
    client.connect(host, port)
    client.loop_start()
    sent, started = 0, time.monotonic()
    try:
        for readings in sittings(kits, rng):
            if duration is not None and time.monotonic() - started >= duration:
                break
            device = readings[0]["device"]["identifier"]["value"]
            client.publish(f"joinedup/readings/{device}", json.dumps(readings), qos=1)
            sent += 1
            time.sleep(max(0.0, started + sent / per_second - time.monotonic()))
    finally:
        client.loop_stop()
        client.disconnect()
    return sent
