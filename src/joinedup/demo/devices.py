"""The demo's home devices: an MQTT gateway and a simulator for the caseload, so the board moves."""

from __future__ import annotations

import random
import socket
import threading

from joinedup.db import create_engine, session_factory, transaction
from joinedup.monitoring import simulator
from joinedup.monitoring.gateway import Gateway

BROKER = ("127.0.0.1", 1883)


def broker_is_up(host: str = BROKER[0], port: int = BROKER[1]) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def start_devices(database_url: str, *, per_second: float = 0.5) -> str:
    """Start the gateway and the simulator in background threads; say what was started (or why not)."""
    host, port = BROKER
    if not broker_is_up(host, port):
        return f"no MQTT broker at {host}:{port}: readings arrive only through the FHIR API"
    sessions = session_factory(create_engine(database_url))
    with transaction(sessions) as session:
        kits = simulator.kits_on_wards(session, random.Random(1))
    gate = Gateway(sessions, host=host, port=port)
    gate.start()
    gate.run_in_thread()
    threading.Thread(
        target=simulator.publish,
        args=(kits,),
        kwargs={"host": host, "port": port, "per_second": per_second},
        daemon=True,
        name="joinedup-simulator",
    ).start()
    rate = f"{per_second:g} sittings a second"
    return f"{len(kits)} home devices sending readings over MQTT at {host}:{port} ({rate})"
