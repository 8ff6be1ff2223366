"""`newsflow up` restarts a crashed process at once, but one that keeps crashing as it
starts ever more slowly, up to a minute; it restarted it every 5 s, forever, each time with
the same traceback."""

from __future__ import annotations

from newsflow_cli.supervisor import RestartBackoff


def test_a_process_crashing_as_it_starts_is_restarted_ever_more_slowly() -> None:
    backoff = RestartBackoff()
    delays = [backoff.delay("sink", ran_s=1.0) for _ in range(8)]
    assert delays == [0.0, 5.0, 10.0, 20.0, 40.0, 60.0, 60.0, 60.0]


def test_a_process_that_ran_a_while_is_restarted_at_once() -> None:
    backoff = RestartBackoff()
    for _ in range(4):
        backoff.delay("sink", ran_s=1.0)
    assert backoff.delay("sink", ran_s=600.0) == 0.0
    assert backoff.delay("sink", ran_s=1.0) == 5.0


def test_each_process_has_its_own_count() -> None:
    backoff = RestartBackoff()
    backoff.delay("enricher.2", ran_s=1.0)
    assert backoff.delay("enricher.2", ran_s=1.0) == 5.0
    assert backoff.delay("enricher", ran_s=1.0) == 0.0
