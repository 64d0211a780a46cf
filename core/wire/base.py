"""What every request body of the gateway's node endpoints shares: strict validation and the
formats of the identifiers they carry."""

from __future__ import annotations

from pydantic import ConfigDict

from core.models.base import WireModel

NONCE_PATTERN = r"^[0-9a-f]{32}$"
SIGNATURE_PATTERN = r"^(0x)?[0-9a-fA-F]{130}$"
AGENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
TOKEN_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
MAX_LOG_LINES_IN = 5000
# A running job's log lines in one request (core.jobs keeps the newest 200 of a job; each line
# is cut to 500 characters there, so a longer one is refused here rather than sent for nothing).
MAX_LOG_BATCH_IN = 200
MAX_LOG_LINE_IN = 500


class StrictWire(WireModel):
    """A request body validated strictly: `0` is not `false`, `"5"` is not `5`."""

    model_config = ConfigDict(**WireModel.model_config, strict=True)
