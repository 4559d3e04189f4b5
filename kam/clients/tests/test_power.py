"""Balance of power over small graphs checked by hand (pure functions: no database)."""

from decimal import Decimal

import pytest

from kam.clients.power import (
    NEUTRAL,
    OPPONENTS,
    OURS,
    SPLIT,
    Person,
    Tie,
    balance_of_power,
    draw,
    largest_remainder,
    layout,
    personalised_pagerank,
)


def person(pid, name, *, influence=3, attitude="neutral", role="user", position=""):
    return Person(pid, name, position, role, influence, attitude)


def shares(balance):
    return {pp.person.name: pp.share for pp in balance.people}


def test_with_no_relationships_power_is_the_rated_influence():
    # 5 : 3 : 2 of 10 → 50 %, 30 %, 20 % (PageRank and degree fall back to influence).
    balance = balance_of_power(
        [person(1, "A", influence=5), person(2, "B", influence=3), person(3, "C", influence=2)], []
    )
    assert shares(balance) == {"A": Decimal("50.0"), "B": Decimal("30.0"), "C": Decimal("20.0")}


def test_shares_add_up_to_exactly_one_hundred_even_with_thirds():
    balance = balance_of_power([person(1, "A"), person(2, "B"), person(3, "C")], [])
    assert sum(shares(balance).values()) == Decimal("100.0")
    # 33.3 + 33.3 + 33.3 leaves a tenth: it goes to one person, by name order on a tie.
    assert sorted(shares(balance).values()) == [Decimal("33.3"), Decimal("33.3"), Decimal("33.4")]


def test_largest_remainder_keeps_the_total():
    parts = largest_remainder({1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0, 6: 1.0, 7: 1.0}, [1, 2, 3, 4, 5, 6, 7])
    assert sum(parts.values()) == 1000
    assert sorted(parts.values()) == [142, 143, 143, 143, 143, 143, 143]


def test_the_decision_maker_at_the_top_of_a_reports_to_chain_has_most_power():
    # C reports to B, B reports to A; all rated the same. Power flows up the chain.
    people = [
        person(1, "A", role="decision_maker", attitude="supporter"),
        person(2, "B"),
        person(3, "C"),
    ]
    balance = balance_of_power(people, [Tie(3, 2, "reports_to"), Tie(2, 1, "reports_to")])
    order = [pp.person.name for pp in balance.people]
    assert order == ["A", "B", "C"]
    assert sum(shares(balance).values()) == Decimal("100.0")
    assert shares(balance)["A"] > Decimal("40")


def test_the_boss_stays_on_top_when_an_adviser_influences_them():
    # The adviser influences the boss and also reports to them: the boss keeps their own standing.
    people = [person(1, "Boss", influence=5, role="decision_maker"), person(2, "Adviser", influence=4)]
    balance = balance_of_power(people, [Tie(2, 1, "reports_to"), Tie(2, 1, "influences")])
    assert balance.people[0].person.name == "Boss"


def test_pagerank_by_hand_on_two_people():
    # 1 → 2 with weight 1; 2 has no way out (dangling) and jumps like the rest; uniform jump.
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_edge(1, 2, weight=1.0)
    rank = personalised_pagerank(graph, {1: 0.5, 2: 0.5})
    # r1 = 0.15·0.5 + 0.85·r2·0.5 and r1 + r2 = 1 → r1 = 0.5 / 1.425 = 20/57, r2 = 37/57
    assert rank[1] == pytest.approx(20 / 57, 1e-6)
    assert rank[2] == pytest.approx(37 / 57, 1e-6)
    assert rank[1] + rank[2] == pytest.approx(1.0)


def test_the_words_name_the_side_that_holds_power_and_its_strongest_person():
    people = [
        person(1, "Ivan Petrov", influence=5, attitude="champion", role="decision_maker", position="CEO"),
        person(2, "Olga", influence=2, attitude="neutral"),
        person(3, "Pavel", influence=1, attitude="opponent"),
    ]
    balance = balance_of_power(people, [Tie(2, 1, "reports_to"), Tie(3, 1, "reports_to")])
    assert balance.holder == OURS
    assert balance.verdict.startswith("Power is with our supporters: ")
    assert "(Ivan Petrov, CEO, decision maker, champion, holds " in balance.verdict
    assert sum(balance.sides.values()) == Decimal("100.0")
    assert balance.advice == []


def test_the_words_change_when_the_same_people_turn_against_us():
    people = [
        person(1, "Ivan Petrov", influence=5, attitude="opponent", role="decision_maker", position="CEO"),
        person(2, "Olga", influence=2, attitude="supporter"),
        person(3, "Pavel", influence=1, attitude="neutral"),
    ]
    balance = balance_of_power(people, [Tie(2, 1, "reports_to"), Tie(3, 1, "reports_to")])
    assert balance.holder == OPPONENTS
    assert balance.verdict.startswith("Opponents hold the balance: ")
    assert "Ivan Petrov, CEO, decision maker, opponent" in balance.verdict
    assert any(line.startswith("Ivan Petrov decides and opposes us") for line in balance.advice)


def test_a_neutral_decision_maker_gets_advice_naming_who_can_reach_them():
    people = [
        person(1, "Boss", influence=5, attitude="neutral", role="decision_maker"),
        person(2, "Friend", influence=3, attitude="champion"),
        person(3, "Clerk", influence=1, attitude="supporter"),
    ]
    ties = [Tie(2, 1, "influences"), Tie(3, 1, "reports_to")]
    balance = balance_of_power(people, ties)
    advice = " ".join(balance.advice)
    assert "Boss decides but is neutral: win them over" in advice
    assert "Friend (champion, who influences them)" in advice
    assert "Clerk" not in advice  # reporting to the boss is not a line of influence over them


def test_a_neutral_majority_and_a_split_are_said_so():
    neutral = balance_of_power(
        [person(1, "A", influence=5), person(2, "B", influence=1, attitude="supporter")], []
    )
    assert neutral.holder == NEUTRAL and neutral.verdict.startswith("The undecided hold the balance")
    split = balance_of_power(
        [
            person(1, "A", influence=2, attitude="supporter"),
            person(2, "B", influence=2, attitude="neutral"),
            person(3, "C", influence=2, attitude="opponent"),
        ],
        [],
    )
    assert split.holder == SPLIT and split.verdict.startswith("No side holds a majority")


def test_no_decision_maker_is_flagged():
    balance = balance_of_power([person(1, "A"), person(2, "B")], [])
    assert "No decision maker is recorded" in balance.advice[0]


def test_a_champion_who_is_the_decision_makers_rival_is_a_warning():
    people = [
        person(1, "Boss", influence=5, attitude="supporter", role="decision_maker"),
        person(2, "Rival", influence=3, attitude="champion"),
    ]
    balance = balance_of_power(people, [Tie(2, 1, "rival")])
    assert any(line.startswith("Careful: Rival and Boss are rivals") for line in balance.advice)


def test_fewer_than_two_people_is_not_enough_for_a_balance():
    assert not balance_of_power([], []).enough
    assert not balance_of_power([person(1, "A")], []).enough


def test_ties_to_unknown_people_and_self_ties_are_ignored():
    balance = balance_of_power(
        [person(1, "A"), person(2, "B")], [Tie(1, 99, "reports_to"), Tie(1, 1, "allied")]
    )
    assert shares(balance) == {"A": Decimal("50.0"), "B": Decimal("50.0")}


def test_the_layout_is_the_same_every_time_and_puts_the_boss_above():
    people = [person(i, f"P{i}") for i in range(1, 6)]
    ties = [
        Tie(2, 1, "reports_to"),
        Tie(3, 1, "reports_to"),
        Tie(4, 2, "reports_to"),
        Tie(5, 2, "reports_to"),
    ]
    first = layout(people, ties)
    assert first == layout(people, ties)
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in first.values())
    assert first[1][1] < first[2][1] < first[4][1]  # y grows downwards: boss on top


def test_the_drawing_fits_the_viewbox_and_styles_each_kind():
    people = [
        person(1, "Boss", influence=5, attitude="champion", role="decision_maker"),
        person(2, "Two", influence=1, attitude="opponent"),
        person(3, "Three", attitude="supporter"),
    ]
    ties = [Tie(2, 1, "reports_to"), Tie(3, 1, "influences"), Tie(2, 3, "rival"), Tie(3, 1, "allied")]
    drawing = draw(people, ties, width=800, height=500)
    for node in drawing.nodes:
        assert node.r <= node.x <= 800 - node.r and node.r <= node.y <= 500 - node.r
    colours = {n.person.name: n.colour for n in drawing.nodes}
    assert colours == {"Boss": "#14632f", "Two": "#c62828", "Three": "#43a047"}
    radii = {n.person.name: n.r for n in drawing.nodes}
    assert radii["Boss"] > radii["Three"] > radii["Two"]
    styles = {e.tie.kind: (e.dash, e.marker) for e in drawing.edges}
    assert styles["reports_to"] == ("", "arrow-reports_to")
    assert styles["influences"][1] == "arrow-influences" and styles["influences"][0]
    assert styles["allied"] == ("", "")
    assert styles["rival"][0] and styles["rival"][1] == ""
    # Two ties between Three and Boss are drawn as two different curves.
    paths = [e.path for e in drawing.edges if {e.tie.source, e.tie.target} == {1, 3}]
    assert len(set(paths)) == 2
