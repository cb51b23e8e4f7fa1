"""The scan-skipping benchmark (bench/mes_scan.py) on a small file: it must still run every
step from scratch and count the distinct orders and winner sets."""

from bench import mes_scan


def test_a_row_counts_the_steps_run_and_their_distinct_outcomes():
    cells = mes_scan._row("Netherlands_Assen_2024.pb", 5).split()
    name, steps, orders, sets = cells[:4]
    assert name == "Netherlands_Assen_2024.pb"
    assert int(steps) == 5
    assert 1 <= int(sets) <= int(orders) <= 5
