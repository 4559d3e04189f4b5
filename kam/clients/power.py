"""The balance of power among a client's stakeholders, and the drawing of their relationship map.

Pure functions over plain values (no database): pages, API and tests call them alike.

Weighted power of a person combines three things, each normalised to sum to 1 over the people:

* the influence the KAM rated (1–5) — what we know about the person;
* PageRank over the "power flow" graph — whose backing flows to whom: a subordinate's edge points to
  their superior (reports to, weight 1), the influenced person's edge points to who influences them
  (weight ½), allies lend each other ½; rivalry lends nothing; everyone keeps a share of their own
  standing (a loop of weight 1). The random jump is weighted by influence, so a well-connected person
  with little influence does not outrank a strong one by topology alone;
* degree — how many relationships of any kind (rivalry too) a person is in: a player, not a bystander.

power = 0.5 · influence + 0.4 · PageRank + 0.1 · degree, shown as whole tenths of a percent that add
up to exactly 100 % (largest remainder).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import networkx as nx
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Attitude, DecisionRole, RelationKind

WEIGHT_INFLUENCE = 0.5
WEIGHT_PAGERANK = 0.4
WEIGHT_DEGREE = 0.1
DAMPING = 0.85
# How much of their standing a tie passes on. Everyone keeps some (a loop of weight 1), so a boss
# who listens to an adviser does not hand the adviser all of their power.
KEEP_WEIGHT = 1.0
REPORTS_WEIGHT = 1.0
INFLUENCE_WEIGHT = 0.5
ALLY_WEIGHT = 0.5
MIN_PEOPLE = 2
TENTH = Decimal("0.1")

OURS = "ours"
NEUTRAL = "neutral"
OPPONENTS = "opponents"
SPLIT = "split"
SIDE_OF = {
    Attitude.CHAMPION: OURS,
    Attitude.SUPPORTER: OURS,
    Attitude.NEUTRAL: NEUTRAL,
    Attitude.OPPONENT: OPPONENTS,
}

# Lower-case words for sentences (the model's labels are capitalised for tables).
ROLE_WORDS = {
    DecisionRole.DECISION_MAKER: gettext_lazy("decision maker"),
    DecisionRole.INFLUENCER: gettext_lazy("influencer"),
    DecisionRole.USER: gettext_lazy("user"),
    DecisionRole.GATEKEEPER: gettext_lazy("gatekeeper"),
    DecisionRole.VIP: gettext_lazy("VIP"),
    DecisionRole.KOL: gettext_lazy("key opinion leader"),
}
ATTITUDE_WORDS = {
    Attitude.CHAMPION: gettext_lazy("champion"),
    Attitude.SUPPORTER: gettext_lazy("supporter"),
    Attitude.NEUTRAL: gettext_lazy("neutral"),
    Attitude.OPPONENT: gettext_lazy("opponent"),
}


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    position: str = ""
    decision_role: str = DecisionRole.USER
    influence: int = 3
    attitude: str = Attitude.NEUTRAL

    @property
    def side(self) -> str:
        return SIDE_OF.get(self.attitude, NEUTRAL)  # type: ignore[call-overload]

    @property
    def is_decision_maker(self) -> bool:
        return self.decision_role == DecisionRole.DECISION_MAKER

    @property
    def attitude_label(self) -> str:
        return str(Attitude(self.attitude).label) if self.attitude in Attitude.values else self.attitude


@dataclass(frozen=True)
class Tie:
    source: int
    target: int
    kind: str


@dataclass(frozen=True)
class PersonPower:
    person: Person
    share: Decimal  # percent with one decimal; all shares add up to exactly 100
    pagerank: float
    links: int


@dataclass
class Balance:
    people: list[PersonPower] = field(default_factory=list)  # most powerful first
    sides: dict[str, Decimal] = field(default_factory=dict)  # ours / neutral / opponents, percent
    holder: str = ""  # which side holds more than half: ours, neutral, opponents, or split
    verdict: str = ""
    advice: list[str] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return len(self.people) >= MIN_PEOPLE


# ------------------------------------------------------------------ the computation


def _power_flow_graph(people: Sequence[Person], ties: Sequence[Tie]) -> nx.DiGraph:
    """Edges point from who lends power to who receives it; parallel reasons add their weights."""
    graph = nx.DiGraph()
    graph.add_nodes_from(p.id for p in people)
    graph.add_edges_from((p.id, p.id, {"weight": KEEP_WEIGHT}) for p in people)

    def lend(giver: int, receiver: int, weight: float) -> None:
        if graph.has_edge(giver, receiver):
            graph[giver][receiver]["weight"] += weight
        else:
            graph.add_edge(giver, receiver, weight=weight)

    for tie in ties:
        if tie.source not in graph or tie.target not in graph or tie.source == tie.target:
            continue
        if tie.kind == RelationKind.REPORTS_TO:
            lend(tie.source, tie.target, REPORTS_WEIGHT)
        elif tie.kind == RelationKind.INFLUENCES:
            lend(tie.target, tie.source, INFLUENCE_WEIGHT)
        elif tie.kind == RelationKind.ALLIED:
            lend(tie.source, tie.target, ALLY_WEIGHT)
            lend(tie.target, tie.source, ALLY_WEIGHT)
    return graph


def personalised_pagerank(
    graph: nx.DiGraph, jump: dict[int, float], damping: float = DAMPING, tolerance: float = 1e-12
) -> dict[int, float]:
    """PageRank by power iteration with a weighted random jump; dangling nodes jump like the rest.

    Written out (a dozen lines) because networkx's pagerank needs scipy, which kam does not install.
    """
    nodes = list(graph.nodes)
    if not nodes:
        return {}
    out_weight = {n: sum(d["weight"] for _, _, d in graph.out_edges(n, data=True)) for n in nodes}
    rank = dict(jump)
    for _step in range(500):
        dangling = sum(rank[n] for n in nodes if out_weight[n] == 0)
        new = {n: (1 - damping) * jump[n] + damping * dangling * jump[n] for n in nodes}
        for giver, receiver, data in graph.edges(data=True):
            new[receiver] += damping * rank[giver] * data["weight"] / out_weight[giver]
        change = sum(abs(new[n] - rank[n]) for n in nodes)
        rank = new
        if change < tolerance:
            break
    return rank


def _links(people: Sequence[Person], ties: Sequence[Tie]) -> dict[int, int]:
    """Distinct people each person is tied to, by any kind of relationship."""
    known = {p.id for p in people}
    graph = nx.Graph()
    graph.add_nodes_from(known)
    graph.add_edges_from(
        (t.source, t.target) for t in ties if t.source in known and t.target in known and t.source != t.target
    )
    return {n: int(d) for n, d in graph.degree()}


def largest_remainder(weights: dict[int, float], order: Sequence[int], units: int = 1000) -> dict[int, int]:
    """Split `units` in proportion to `weights` so the parts add up exactly; ties go by `order`."""
    total = sum(weights.values())
    if total <= 0:
        weights = dict.fromkeys(weights, 1.0)
        total = float(len(weights))
    exact = {k: units * w / total for k, w in weights.items()}
    parts = {k: math.floor(v) for k, v in exact.items()}
    left = units - sum(parts.values())
    position = {k: i for i, k in enumerate(order)}
    for key in sorted(exact, key=lambda k: (-(exact[k] - parts[k]), position[k]))[:left]:
        parts[key] += 1
    return parts


def _tenths(units: int) -> Decimal:
    return (Decimal(units) / 10).quantize(TENTH)


def whole_percent(share: Decimal) -> str:
    return f"{share.quantize(Decimal(1), rounding=ROUND_HALF_UP)}\u00a0%"


def balance_of_power(people: Sequence[Person], ties: Sequence[Tie]) -> Balance:
    """Who holds the power among these people, in figures and in words."""
    people = list(people)
    if len(people) < MIN_PEOPLE:
        return Balance(people=[PersonPower(p, Decimal("100.0"), 1.0, 0) for p in people])
    ties = [t for t in ties if t.source != t.target]
    total_influence = sum(max(p.influence, 1) for p in people)
    influence = {p.id: max(p.influence, 1) / total_influence for p in people}
    rank = personalised_pagerank(_power_flow_graph(people, ties), influence)
    links = _links(people, ties)
    total_links = sum(links.values())
    degree = {p.id: (links[p.id] / total_links if total_links else influence[p.id]) for p in people}
    raw = {
        p.id: WEIGHT_INFLUENCE * influence[p.id] + WEIGHT_PAGERANK * rank[p.id] + WEIGHT_DEGREE * degree[p.id]
        for p in people
    }
    stable = sorted(people, key=lambda p: (-p.influence, p.name, p.id))
    units = largest_remainder(raw, [p.id for p in stable])
    powers = sorted(
        (PersonPower(p, _tenths(units[p.id]), rank[p.id], links[p.id]) for p in people),
        key=lambda pp: (-pp.share, -pp.person.influence, pp.person.name, pp.person.id),
    )
    side_units: dict[str, int] = defaultdict(int)
    for p in people:
        side_units[p.side] += units[p.id]
    sides = {side: _tenths(side_units[side]) for side in (OURS, NEUTRAL, OPPONENTS)}
    holder = next((side for side, share in sides.items() if share > 50), SPLIT)
    balance = Balance(people=powers, sides=sides, holder=holder)
    balance.verdict = _verdict(balance)
    balance.advice = _advice(balance, ties)
    return balance


# ------------------------------------------------------------------ the words


def describe(power: PersonPower) -> str:
    """`Ivan Petrov, CEO, decision maker, champion, holds 35 %`."""
    p = power.person
    parts = [p.name]
    if p.position:
        parts.append(p.position)
    parts.append(str(ROLE_WORDS.get(p.decision_role, p.decision_role)))  # type: ignore[call-overload]
    parts.append(str(ATTITUDE_WORDS.get(p.attitude, p.attitude)))  # type: ignore[call-overload]
    return _("%(who)s, holds %(share)s") % {"who": ", ".join(parts), "share": whole_percent(power.share)}


def _top_of(balance: Balance, side: str) -> PersonPower:
    return next(pp for pp in balance.people if pp.person.side == side)


def _verdict(balance: Balance) -> str:
    sides = balance.sides
    if balance.holder == OURS:
        return _("Power is with our supporters: %(share)s of weighted influence (%(top)s).") % {
            "share": whole_percent(sides[OURS]),
            "top": describe(_top_of(balance, OURS)),
        }
    if balance.holder == OPPONENTS:
        return _("Opponents hold the balance: %(share)s of weighted influence (%(top)s).") % {
            "share": whole_percent(sides[OPPONENTS]),
            "top": describe(_top_of(balance, OPPONENTS)),
        }
    if balance.holder == NEUTRAL:
        return _(
            "The undecided hold the balance: %(share)s of weighted influence is neutral (%(top)s). "
            "Whoever wins them over wins the decision."
        ) % {"share": whole_percent(sides[NEUTRAL]), "top": describe(_top_of(balance, NEUTRAL))}
    return _(
        "No side holds a majority: our supporters %(ours)s, neutral %(neutral)s, opponents %(opponents)s "
        "of weighted influence. The most powerful person is %(top)s."
    ) % {
        "ours": whole_percent(sides[OURS]),
        "neutral": whole_percent(sides[NEUTRAL]),
        "opponents": whole_percent(sides[OPPONENTS]),
        "top": describe(balance.people[0]),
    }


def _lines_to(person: Person, balance: Balance, ties: Sequence[Tie]) -> list[str]:
    """Our champions and supporters who have a line to `person`, and what that line is."""
    ours = {pp.person.id: pp.person for pp in balance.people if pp.person.side == OURS}
    found: dict[int, str] = {}
    for tie in ties:
        if tie.kind == RelationKind.INFLUENCES and tie.target == person.id and tie.source in ours:
            found.setdefault(tie.source, _("who influences them"))
        elif tie.kind == RelationKind.REPORTS_TO and tie.source == person.id and tie.target in ours:
            found.setdefault(tie.target, _("their superior"))
        elif tie.kind == RelationKind.ALLIED and person.id in (tie.source, tie.target):
            other = tie.target if tie.source == person.id else tie.source
            if other in ours:
                found.setdefault(other, _("their ally"))
    order = [pp.person.id for pp in balance.people]
    return [
        _("%(name)s (%(attitude)s, %(line)s)")
        % {"name": ours[pid].name, "attitude": ATTITUDE_WORDS[ours[pid].attitude], "line": line}  # type: ignore[index]
        for pid, line in sorted(found.items(), key=lambda item: order.index(item[0]))
    ]


def _rivals_of(person: Person, balance: Balance, ties: Sequence[Tie]) -> list[str]:
    ours = {pp.person.id: pp.person for pp in balance.people if pp.person.side == OURS}
    names = []
    for tie in ties:
        if tie.kind == RelationKind.RIVAL and person.id in (tie.source, tie.target):
            other = tie.target if tie.source == person.id else tie.source
            if other in ours and ours[other].name not in names:
                names.append(ours[other].name)
    return names


def _advice(balance: Balance, ties: Sequence[Tie]) -> list[str]:
    advice: list[str] = []
    deciders = [pp.person for pp in balance.people if pp.person.is_decision_maker]
    if not deciders:
        advice.append(_("No decision maker is recorded: find out who signs before the next meeting."))
    for person in deciders:
        lines = _lines_to(person, balance, ties)
        via = (
            _("Work through %(people)s.") % {"people": "; ".join(lines)}
            if lines
            else _("None of our supporters has a line to them yet: build one.")
        )
        if person.attitude == Attitude.NEUTRAL:
            advice.append(
                _("%(name)s decides but is neutral: win them over before the decision. %(via)s")
                % {"name": person.name, "via": via}
            )
        elif person.attitude == Attitude.OPPONENT:
            advice.append(
                _(
                    "%(name)s decides and opposes us: learn their objections and answer them, "
                    "and do not let the deal rest on them alone. %(via)s"
                )
                % {"name": person.name, "via": via}
            )
        rivals = _rivals_of(person, balance, ties)
        if rivals:
            advice.append(
                _("Careful: %(rivals)s and %(name)s are rivals; their backing may not help with %(name)s.")
                % {"rivals": ", ".join(rivals), "name": person.name}
            )
    top = balance.people[0].person
    if top.attitude == Attitude.OPPONENT and not top.is_decision_maker:
        advice.append(
            _("The most powerful person, %(name)s, opposes us: plan how to neutralise their objections.")
            % {"name": top.name}
        )
    return advice


# ------------------------------------------------------------------ the drawing


ATTITUDE_COLOURS = {
    Attitude.CHAMPION: "#14632f",
    Attitude.SUPPORTER: "#43a047",
    Attitude.NEUTRAL: "#9aa0a6",
    Attitude.OPPONENT: "#c62828",
}
EDGE_STYLES = {
    # kind: (colour, dash pattern, width, arrow marker id or "")
    RelationKind.REPORTS_TO: ("#334155", "", 1.8, "arrow-reports_to"),
    RelationKind.INFLUENCES: ("#1f5fbf", "7 5", 1.8, "arrow-influences"),
    RelationKind.ALLIED: ("#2e7d32", "", 3.0, ""),
    RelationKind.RIVAL: ("#c62828", "1 6", 3.0, ""),
}


@dataclass(frozen=True)
class Node:
    person: Person
    x: float
    y: float
    r: float
    colour: str
    initials: str
    share: Decimal | None

    @property
    def ring_r(self) -> float:
        return self.r + 5

    @property
    def initials_y(self) -> float:
        return round(self.y + 4.5, 1)

    @property
    def name_y(self) -> float:
        return round(self.y + self.r + (21 if self.person.is_decision_maker else 16), 1)

    @property
    def sub_y(self) -> float:
        return round(self.name_y + 14, 1)

    @property
    def share_text(self) -> str:
        return "" if self.share is None else f"{self.share.quantize(Decimal(1), rounding=ROUND_HALF_UP)} %"


@dataclass(frozen=True)
class Edge:
    tie: Tie
    title: str
    path: str
    colour: str
    dash: str
    width: float
    marker: str
    label_x: float
    label_y: float


@dataclass
class Drawing:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]


def radius(influence: int) -> float:
    return 12.0 + 4.0 * max(1, min(5, influence))


def initials(name: str) -> str:
    letters = [part[0] for part in name.split() if part and part[0].isalnum()]
    return "".join(letters[:2]).upper() or "?"


def layout(people: Sequence[Person], ties: Sequence[Tie], seed: int = 7) -> dict[int, tuple[float, float]]:
    """Spring layout (fixed seed: the same map every time) in the unit square, y pointing down.

    The spring layout has no up or down; of its rotations and mirror images the one that puts
    superiors above those who report to them (and influencers above the influenced) is kept.
    """
    graph = nx.Graph()
    graph.add_nodes_from(p.id for p in people)
    graph.add_edges_from((t.source, t.target) for t in ties if t.source in graph and t.target in graph)
    if len(graph) == 1:
        return {next(iter(graph.nodes)): (0.5, 0.5)}
    k = 1.6 / math.sqrt(len(graph))
    raw = {
        n: (float(v[0]), float(v[1]))
        for n, v in nx.spring_layout(graph, seed=seed, k=k, iterations=200).items()
    }
    return _to_unit_square(_upright(raw, ties))


def _upright(pos: dict[int, tuple[float, float]], ties: Sequence[Tie]) -> dict[int, tuple[float, float]]:
    pulls = [
        (t.source, t.target, 1.0 if t.kind == RelationKind.REPORTS_TO else -0.3)
        for t in ties
        if t.kind in (RelationKind.REPORTS_TO, RelationKind.INFLUENCES)
        and t.source in pos
        and t.target in pos
    ]
    if not pulls:
        return pos

    def turned(angle: float, mirror: bool) -> dict[int, tuple[float, float]]:
        c, s = math.cos(angle), math.sin(angle)
        return {
            n: ((-x if mirror else x) * c - y * s, (-x if mirror else x) * s + y * c)
            for n, (x, y) in pos.items()
        }

    def score(p: dict[int, tuple[float, float]]) -> float:
        total = 0.0
        for source, target, weight in pulls:
            # y grows downwards: who reports should sit lower (larger y) than whom they report to;
            # who influences sits above whom they influence.
            total += weight * (p[source][1] - p[target][1])
        return total

    best = pos
    best_score = score(pos)
    for step in range(24):
        for mirror in (False, True):
            candidate = turned(step * math.pi / 12, mirror)
            value = score(candidate)
            if value > best_score + 1e-9:
                best, best_score = candidate, value
    return best


def _to_unit_square(pos: dict[int, tuple[float, float]]) -> dict[int, tuple[float, float]]:
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    span_x = max(xs) - min(xs)
    span_y = max(ys) - min(ys)
    return {
        n: (
            (x - min(xs)) / span_x if span_x > 1e-9 else 0.5,
            (y - min(ys)) / span_y if span_y > 1e-9 else 0.5,
        )
        for n, (x, y) in pos.items()
    }


def draw(
    people: Sequence[Person],
    ties: Sequence[Tie],
    shares: dict[int, Decimal] | None = None,
    *,
    width: int = 960,
    height: int = 560,
) -> Drawing:
    """Where each person and each line goes in an SVG of `width` × `height`."""
    pad_x, pad_top, pad_bottom = 110.0, 50.0, 70.0
    unit = layout(people, ties)
    nodes: dict[int, Node] = {}
    for p in people:
        ux, uy = unit[p.id]
        nodes[p.id] = Node(
            person=p,
            x=round(pad_x + ux * (width - 2 * pad_x), 1),
            y=round(pad_top + uy * (height - pad_top - pad_bottom), 1),
            r=radius(p.influence),
            colour=ATTITUDE_COLOURS.get(p.attitude, ATTITUDE_COLOURS[Attitude.NEUTRAL]),  # type: ignore[call-overload]
            initials=initials(p.name),
            share=(shares or {}).get(p.id),
        )
    pairs: dict[frozenset[int], list[Tie]] = defaultdict(list)
    for tie in ties:
        if tie.source in nodes and tie.target in nodes and tie.source != tie.target:
            pairs[frozenset((tie.source, tie.target))].append(tie)
    edges = []
    for group in pairs.values():
        for index, tie in enumerate(group):
            bend = (index - (len(group) - 1) / 2) * 34.0
            edges.append(_edge(tie, nodes[tie.source], nodes[tie.target], bend))
    # Dotted and dashed lines under solid ones, so the hierarchy stays readable.
    edges.sort(key=lambda e: (e.dash == "", e.tie.kind))
    return Drawing(width=width, height=height, nodes=list(nodes.values()), edges=edges)


def _edge(tie: Tie, a: Node, b: Node, bend: float) -> Edge:
    # Bend the same way for a pair whichever way the tie points, so parallel ties stay apart.
    first, second = (a, b) if a.person.id < b.person.id else (b, a)
    dx, dy = second.x - first.x, second.y - first.y
    length = math.hypot(dx, dy) or 1.0
    nx_, ny_ = -dy / length, dx / length
    mx, my = (a.x + b.x) / 2 + nx_ * bend, (a.y + b.y) / 2 + ny_ * bend
    colour, dash, width, marker = EDGE_STYLES.get(tie.kind, ("#334155", "", 1.5, ""))  # type: ignore[call-overload]

    def toward(node: Node, gap: float) -> tuple[float, float]:
        vx, vy = mx - node.x, my - node.y
        d = math.hypot(vx, vy) or 1.0
        return node.x + vx / d * (node.r + gap), node.y + vy / d * (node.r + gap)

    sx, sy = toward(a, 3.0)
    ex, ey = toward(b, 5.0 if marker else 3.0)
    path = f"M{sx:.1f},{sy:.1f} Q{mx:.1f},{my:.1f} {ex:.1f},{ey:.1f}"
    # The curve's midpoint, for a hover target / label.
    lx, ly = 0.25 * sx + 0.5 * mx + 0.25 * ex, 0.25 * sy + 0.5 * my + 0.25 * ey
    kind = RelationKind(tie.kind).label if tie.kind in RelationKind.values else tie.kind
    title = f"{a.person.name} {kind} {b.person.name}"
    return Edge(tie, title, path, colour, dash, width, marker, round(lx, 1), round(ly, 1))
