"""Reference data (``data/``, with its sources) and the demo generator."""
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
