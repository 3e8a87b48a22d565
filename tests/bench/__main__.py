"""``python -m tests.bench``: the speed benchmark of issue 13 (see ``tests/bench/speed.py``)."""
from tests.bench.speed import main

main()
