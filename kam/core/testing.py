"""Shared personas for every test, as in healthchecks' base test: one company, named people in it.

alice  — KAM in Sales North, owns `alice_client`
bob    — KAM in Sales North (alice's colleague), owns `bob_client`
carol  — KAM in Sales South, owns `carol_client`
hannah — head of Sales North
hugo   — head of Sales South
diana  — commercial director
sam    — sales support
fiona  — finance
adam   — system administrator (no business role)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kam.access.models import Department, Role, User
from kam.clients.models import Client, ClientStatus, Segment, Stakeholder

PASSWORD = "kam-test-password-1"

# Valid Russian INNs (checksums correct), one per persona client.
INNS = ["7707083893", "7736050003", "7702070139", "7728168971", "7710140679", "5003052454"]


@dataclass
class Company:
    north: Department
    south: Department
    alice: User
    bob: User
    carol: User
    hannah: User
    hugo: User
    diana: User
    sam: User
    fiona: User
    adam: User
    alice_client: Client
    bob_client: Client
    carol_client: Client

    def everyone(self) -> list[User]:
        return [
            self.alice,
            self.bob,
            self.carol,
            self.hannah,
            self.hugo,
            self.diana,
            self.sam,
            self.fiona,
            self.adam,
        ]


def make_user(
    username: str, role: str, department: Department | None = None, *, is_staff: bool = False
) -> User:
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        department=department,
        first_name=username.capitalize(),
        last_name="Test",
        is_staff=is_staff,
    )


def make_client(owner: User, inn: str, name: str, **extra: object) -> Client:
    client = Client(
        legal_name=f'OOO "{name}"',
        short_name=name,
        tax_number=inn,
        owner=owner,
        department=owner.department,
        region="Moscow",
        segment=Segment.LARGE,
        status=ClientStatus.ACTIVE,
        credit_limit=Decimal("1000000.00"),
        **extra,
    )
    client.full_clean()
    client.save()
    return client


def make_company() -> Company:
    north = Department.objects.create(name="Sales North")
    south = Department.objects.create(name="Sales South")
    alice = make_user("alice", Role.KAM, north)
    bob = make_user("bob", Role.KAM, north)
    carol = make_user("carol", Role.KAM, south)
    hannah = make_user("hannah", Role.HEAD, north)
    hugo = make_user("hugo", Role.HEAD, south)
    north.head = hannah
    north.save()
    south.head = hugo
    south.save()
    diana = make_user("diana", Role.DIRECTOR)
    sam = make_user("sam", Role.SALES_SUPPORT)
    fiona = make_user("fiona", Role.FINANCE)
    adam = make_user("adam", Role.NONE, is_staff=True)
    alice_client = make_client(alice, INNS[0], "Romashka")
    bob_client = make_client(bob, INNS[1], "Vasilek")
    carol_client = make_client(carol, INNS[2], "Lyutik")
    Stakeholder.objects.create(
        client=alice_client,
        full_name="Ivan Petrov",
        position="CEO",
        decision_role="decision_maker",
        influence=5,
        attitude="supporter",
        private_notes="Prefers morning meetings; sensitive",
    )
    return Company(
        north,
        south,
        alice,
        bob,
        carol,
        hannah,
        hugo,
        diana,
        sam,
        fiona,
        adam,
        alice_client,
        bob_client,
        carol_client,
    )
