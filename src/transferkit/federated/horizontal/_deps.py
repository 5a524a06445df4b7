"""Import guards: torch (``[torch]``) and Flower (``[federated]``), telemetry off.

Flower sends usage events to its servers and Ray reports usage statistics unless told
not to. transferkit switches both off (``FLWR_TELEMETRY_ENABLED=0``,
``RAY_USAGE_STATS_ENABLED=0``) before Flower is first imported, unless the user has set
the variables; the processes a deployment run starts inherit them.
"""

import os
import sys

for _name in ("FLWR_TELEMETRY_ENABLED", "RAY_USAGE_STATS_ENABLED"):
    os.environ.setdefault(_name, "0")
if "flwr.supercore.telemetry" in sys.modules and os.environ["FLWR_TELEMETRY_ENABLED"] == "0":
    sys.modules["flwr.supercore.telemetry"].FLWR_TELEMETRY_ENABLED = "0"

from transferkit._optional import require  # noqa: E402

require("torch", extra="torch", purpose="transferkit.federated.horizontal")
require("flwr", extra="federated", purpose="transferkit.federated.horizontal")
