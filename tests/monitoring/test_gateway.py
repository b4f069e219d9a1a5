"""The MQTT gateway against the Mosquitto broker on 127.0.0.1:1883: readings published by a device are stored
through the same service, a retried reading once, and a refused one answered to the device and kept."""

from __future__ import annotations

import json
import queue
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from wards_world import GP, NURSE, build_world, observation

from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.monitoring import service
from joinedup.monitoring.gateway import Gateway, Message, observations_of
from joinedup.monitoring.models import Reading, RejectedReading
from joinedup.monitoring.schemas import DeviceCreate
from joinedup.wards import service as wards
from joinedup.wards.schemas import AdmissionCreate

BROKER = ("127.0.0.1", 1883)


def broker_is_running() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not broker_is_running(), reason="needs Mosquitto on 127.0.0.1:1883")


@pytest.fixture
def gateway_db(tmp_path: Path):
    """A database of its own (the gateway commits in its own sessions): one patient on vw-north with a kit."""
    engine = create_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    device = f"kit-{uuid.uuid4().hex[:8]}"
    with transaction(sessions) as session:
        world = build_world(session, patients=1)
        number = world.nhs_numbers[0]
        admission = AdmissionCreate(
            nhs_number=number, pathway="covid-19", admitted_at=datetime.now(UTC) - timedelta(days=1)
        )
        wards.admit_patient(session, actor=GP, ward_id="vw-north", admission=admission)
        service.issue_device(session, actor=NURSE, device=DeviceCreate(value=device, nhs_number=number))
    yield sessions, number, device
    engine.dispose()


def test_published_readings_are_stored_once_and_refusals_answered(gateway_db) -> None:
    sessions, number, device = gateway_db
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    gate = Gateway(sessions, topic=f"{prefix}/readings/#", client_id=f"{prefix}-gateway")
    answers: queue.Queue[bytes] = queue.Queue()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{prefix}-listener")
    listener.on_message = lambda _c, _u, msg: answers.put(msg.payload)
    listener.connect(*BROKER)
    listener.subscribe("joinedup/devices/stolen-kit-" + prefix + "/rejected", qos=1)
    listener.loop_start()
    gate.start()
    try:
        assert gate.subscribed.wait(timeout=10)
        at = datetime.now(UTC) - timedelta(minutes=2)
        good = observation(number, "spo2", 91, at=at, device=device)
        stolen = observation(number, "pulse", 70, at=at, device=f"stolen-kit-{prefix}")
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{prefix}-device")
        publisher.connect(*BROKER)
        publisher.loop_start()
        for body in (good, good, stolen):
            publisher.publish(f"{prefix}/readings/{device}", json.dumps(body), qos=1).wait_for_publish(
                timeout=10
            )
        publisher.publish(f"{prefix}/readings/{device}", b"not json", qos=1).wait_for_publish(timeout=10)
        batch: list[Message] = []
        while len(batch) < 4:
            batch.append(gate.inbox.get(timeout=10))
        outcomes = gate.process(batch)
        publisher.loop_stop()
        publisher.disconnect()
        assert sorted(o.status for o in outcomes) == ["duplicate", "rejected", "stored"]
        answer = json.loads(answers.get(timeout=10))
        assert "unknown device" in answer["detail"]
    finally:
        gate.stop()
        listener.loop_stop()
        listener.disconnect()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Reading)) == 1
        reasons = session.scalars(select(RejectedReading.reason)).all()
        assert any("unknown device" in r for r in reasons) and any("not JSON" in r for r in reasons)
        alerts = service.list_alerts(session, actor=NURSE)
        assert {a.rule_id for a in alerts} >= {"covid_oximetry.spo2_low"}


def test_a_message_may_carry_one_observation_or_a_list() -> None:
    one = Message("t", json.dumps({"resourceType": "Observation"}).encode(), 1, 1, 0.0)
    many = Message("t", json.dumps([{"resourceType": "Observation"}] * 3).encode(), 1, 1, 0.0)
    assert len(observations_of(one)) == 1 and len(observations_of(many)) == 3
    assert "must be a FHIR Observation" in observations_of(Message("t", b"[1, 2]", 1, 1, 0.0))
