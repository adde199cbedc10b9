"""The web service: FDSN event web service 1.x and pages for people, over a store.

>>> from testban.service import create_app, serve
>>> app = create_app("out/testban.sqlite")      # a FastAPI application   # doctest: +SKIP
>>> serve("out/testban.sqlite", port=8000)      # uvicorn, until Ctrl-C   # doctest: +SKIP

Routes: ``/`` (event map), ``/events`` (list with filters), ``/event/{evid}`` (one event,
with its waveforms and picks when ``wfdisc`` points at them), ``/event/{evid}/waveforms.svg``,
``/api/events.geojson``, ``/fdsnws/event/1/{query,version,application.wadl,catalogs,
contributors}``, ``/docs`` (Swagger UI, self-hosted) and ``/static``. The package holds no
seismology: it translates HTTP into store and bulletin calls and renders pages.
"""

from testban.service.app import create_app, serve
from testban.service.fdsn import SERVICE_VERSION, TEXT_HEADER
from testban.service.params import PARAMETERS, BadRequest, parse_query

__all__ = [
    "PARAMETERS",
    "SERVICE_VERSION",
    "TEXT_HEADER",
    "BadRequest",
    "create_app",
    "parse_query",
    "serve",
]
