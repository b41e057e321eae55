"""The garbage collector's policy of the web processes (config/collector.py), run in a
process of its own: the test process's collector is left as it is."""

import json
import subprocess
import sys
import textwrap

from config.settings import BASE_DIR

SCENARIO = textwrap.dedent(
    """
    import gc, json
    from config import collector

    collector.keep_pauses_short()
    loaded = gc.get_freeze_count()

    class Node:
        pass

    def cycles(n):
        made = []
        for _ in range(n):
            a, b = Node(), Node()
            a.other, b.other = b, a
            made.append(a)
        return made

    kept = cycles(10_000)  # a hall's connections: alive, in cycles
    gc.collect()
    after_full = gc.get_freeze_count()

    del kept  # the hall leaves: its cycles are garbage, but frozen
    gc.collect()
    still_frozen = gc.get_freeze_count()

    collector._last_thaw -= collector.THAW_SECONDS  # ten minutes later
    gc.collect()  # the thaw
    thawed = gc.get_freeze_count()
    freed = gc.collect()  # walks everything again: the hall's cycles are freed
    print(json.dumps([loaded, after_full, still_frozen, thawed, freed]))
    """
)


def test_survivors_of_a_full_collection_are_frozen_then_thawed_and_freed():
    result = subprocess.run(  # noqa: S603 - our own scenario, above
        [sys.executable, "-c", SCENARIO],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded, after_full, still_frozen, thawed, freed = json.loads(result.stdout.splitlines()[-1])
    assert loaded > 0  # what was loaded is frozen at once
    assert after_full >= loaded + 20_000  # the living cycles, frozen after a full collection
    assert still_frozen >= loaded + 20_000  # their garbage waits for the thaw...
    assert thawed == 0
    assert freed >= 20_000  # ...and is freed by the next full collection
