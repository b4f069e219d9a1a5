"""Keep the cyclic garbage collector's full passes off a long-running process's requests.

A server imports the FHIR models, SQLAlchemy and every area's modules: some 370,000 objects that live as
long as the process. CPython's full collection walks all of them (about 200 ms here), stalling every
request in flight. Once start-up is done they are moved to the permanent generation, so later full
collections walk only what was made since.
"""

from __future__ import annotations

import gc


def settle_after_start_up() -> int:
    """Collect start-up garbage, then freeze what remains out of later collections; returns how many
    objects were frozen. Call once a long-running process has built everything it keeps."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
