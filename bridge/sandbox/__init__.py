"""An imitation of Port's remote MCP server and its OAuth authorization server, served over real HTTP on loopback.

No test and no demo can reach Port, so everything runs against this. It follows `docs/port-compatibility.md` (each
fact about Port with its source and the date it was checked): Port's tool set per role and era, the
`x-read-only-mode` / `x-allowed-actions-to-run` headers, an in-memory catalog that the tools really read and write,
OAuth with an issuer on another origin, token mode, and fault knobs. `tests/live/` (docs/live-tests.md) compares it
with a real organization's answers.
"""

from bridge.sandbox.app import Sandbox, build_app
from bridge.sandbox.state import Faults, Lifetimes, SandboxConfig, SandboxState

__all__ = ["Faults", "Lifetimes", "Sandbox", "SandboxConfig", "SandboxState", "build_app"]
