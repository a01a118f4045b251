"""vcrpy for the client adapters: replay committed cassettes; re-record against the emulators.

Cassettes live in ``tests/cassettes/``. By default they are replayed and a request they do not
hold fails the test (``record_mode="none"``), so the suite needs no server and no network.
``RECORD_CASSETTES=1 ./dev test tests/salesforce tests/billing`` re-records them against the
bundled emulators (or point the recording fixtures at a real sandbox org).

Requests match on method, path, query and body, not on host or port: emulators listen on a
free port each time. Credentials are filtered out of what is stored.
"""

from __future__ import annotations

import os
from pathlib import Path

import vcr

CASSETTES = Path(__file__).resolve().parent / "cassettes"
RECORDING = os.environ.get("RECORD_CASSETTES") == "1"


def recorder() -> vcr.VCR:
    """The VCR every adapter test uses."""
    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if RECORDING else "none",
        match_on=("method", "path", "query", "body"),
        filter_headers=["authorization", "cookie", "set-cookie"],
        filter_post_data_parameters=["client_id", "client_secret", "password", "username",
                                     "assertion"],
        decode_compressed_response=True,
    )
