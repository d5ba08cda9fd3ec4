"""tenancy.text.listed: the "a; b (+N more)" of refusals and report details."""

from tenancy.text import listed


def test_lists_the_first_few_and_counts_the_rest():
    assert listed(["a.", "b", "c"], 2) == "a; b (+1 more)"
    assert listed(["a", "b"], 2, separator=", ") == "a, b"
    assert listed([], 3) == ""


def test_counts_from_a_total_when_only_the_first_few_were_loaded():
    assert listed(["x", "y"], 2, total=40) == "x; y (+38 more)"
    assert listed(iter(["x"]), 4, total=1) == "x"
