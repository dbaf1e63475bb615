"""Counts written for people agree in number with their noun."""

from portal.core.display import counted


def test_one_takes_the_singular_and_any_other_number_the_plural():
    assert counted(1, "deadline") + " overdue" == "1 deadline overdue"
    assert counted(2, "deadline") + " overdue" == "2 deadlines overdue"
    assert counted(0, "open incident") == "0 open incidents"


def test_a_noun_without_a_plain_s_plural_is_given_its_plural():
    assert counted(1, "SLA breach", "SLA breaches") == "1 SLA breach"
    assert counted(3, "SLA breach", "SLA breaches") == "3 SLA breaches"
