"""The :class:`Actor`: who is doing a write, with which roles, through which client.

Every service call takes an actor. The edges build it: the web UI from the logged-in user
(client ``web``), the write API from the bearer token (client ``api:<token label>``), the CLI
from its ``--actor`` (client ``cli``). Services ask the actor for permission and record it in
the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from opensor.domain.responsibility import Decision, Permission, Placement, Role, decide

__all__ = ["Actor"]


@dataclass(frozen=True, slots=True)
class Actor:
    """A user acting through one client, with the roles the user holds."""

    username: str
    roles: tuple[Role, ...]
    client: str = "web"
    request_id: str = ""
    user_id: int | None = None

    def may(self, permission: Permission, placement: Placement | None) -> Decision:
        """Whether this actor may do ``permission`` on a unit placed at ``placement``."""
        return decide(self.roles, permission, placement)

    @property
    def is_authority(self) -> bool:
        """Whether the actor holds the national authority's role."""
        return any(role.kind.value == "authority" for role in self.roles)

    @property
    def roles_text(self) -> str:
        """The roles as text, for the audit trail (``region:1084, authority``)."""
        return ", ".join(str(role) for role in self.roles)
