from datetime import date

import pytest

from conftest import EVAL
from storyline.config import Settings
from storyline.evaluate.datasets import IncidentFacts
from storyline.evaluate.incidents import (
    MEASURES,
    PARTS,
    city_names,
    evaluate_incidents,
    format_incidents,
    number_right,
    same_place,
)
from storyline.model import Figure

needs_eval = pytest.mark.skipif(not EVAL.is_dir(), reason=f"evaluation data not found at {EVAL}")


def _killed(value: float, sentence: str, qualifier: str = "exactly") -> Figure:
    return Figure(value, qualifier, "people killed", str(value), sentence, "a", key="people|killed")


def test_a_toll_matches_the_archive_with_or_without_the_shooter_who_killed_himself():
    figures = [_killed(2, "He killed two people before turning the gun on himself.")]
    assert number_right(figures, "|killed", 3, 0.1)  # the Archive counts him
    assert number_right(figures, "|killed", 2, 0.1)
    assert not number_right([_killed(2, "Two people were killed.")], "|killed", 3, 0.1)


def test_the_archives_place_may_be_written_as_the_city_or_the_area_in_brackets():
    def incident(city: str) -> IncidentFacts:
        return IncidentFacts("1", date(2015, 1, 1), city, "Ohio", 0, 1)

    assert city_names(incident("Goleta (Isla Vista)")) == {"goleta", "isla vista"}
    assert city_names(incident("Pike (county)")) == {"pike"}
    assert city_names(incident("Noble County")) == {"noble"}
    assert city_names(incident("Saint Louis")) == city_names(incident("St Louis")) == {same_place("St. Louis")}
    assert same_place("Southwest Philadelphia") == "philadelphia"
    capital = IncidentFacts("2", date(2015, 1, 1), "Washington", "District of Columbia", 0, 1)
    assert same_place("D.C.") in city_names(capital) and same_place("D.C.") not in city_names(incident("Columbus"))


@needs_eval
def test_the_incident_check_gives_every_measure_of_each_part_as_a_share():
    scores = evaluate_incidents(EVAL, Settings.from_env(), limit=40)
    assert [s.part for s in scores] == list(PARTS)
    for score in scores:
        assert score.articles == 40 and 0 < score.mapped <= score.events
        assert all(0.0 <= share.value <= 1.0 and share.hits <= share.events for share in score.shares.values())
    lines = format_incidents(scores).splitlines()
    assert len(lines) == len(PARTS) * (1 + len(MEASURES))
    assert lines[0].startswith("incidents 2013-14: 40 articles, ")
    assert [line.split()[0] for line in lines[1 : 1 + len(MEASURES)]] == list(MEASURES)
