"""住培 admission: the pure engine (``engine``: combined score, tie-break, first choice with a free seat)
and its publication (``publication``: candidates from the database, dry run, publish once)."""
from app.domain.admission.engine import *  # noqa: F401,F403
from app.domain.admission.engine import __all__ as _engine
from app.domain.admission.publication import *  # noqa: F401,F403
from app.domain.admission.publication import __all__ as _publication

__all__ = [*_engine, *_publication]
