"""Who am I: the token's user, role and general rights (GET /api/me)."""

from django.http import HttpRequest
from ninja import Router, Schema

from kam.core.api import READ_ERRORS

from . import policy
from .models import Role, User

router = Router(tags=["me"])

GENERAL_RIGHTS = (
    "clients.add_client",
    "clients.view_competitors",
    "clients.add_competitor",
    "access.view_audit",
    "access.manage_deputies",
    "access.manage_users",
)


class DepartmentOut(Schema):
    id: int
    name: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: Role
    department: DepartmentOut | None
    time_zone: str
    rights: list[str]


@router.get("/me", response={200: MeOut, **READ_ERRORS}, summary="The user this token belongs to")
def me(request: HttpRequest) -> dict[str, object]:
    user: User = request.auth  # type: ignore[attr-defined]
    department = user.department
    return {
        "id": user.pk,
        "username": user.username,
        "name": str(user),
        "email": user.email,
        "role": user.role,
        "department": None if department is None else {"id": department.pk, "name": department.name},
        "time_zone": user.time_zone,
        "rights": [perm for perm in GENERAL_RIGHTS if policy.can(user, perm)],
    }
