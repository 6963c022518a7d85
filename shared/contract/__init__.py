"""The contract every model honours.

A *scenario* is one example of the article. Its *spec* holds the parameters of a
run (the article's timings, shrunk by one ``scale`` factor); its *outcome* is what
a model reports back, as JSON. The outcome has two parts:

* ``facts``: everything that must come out exactly the same, compared with the
  expectation and across models;
* ``timings``: seconds measured by the model, checked against bounds that the
  expectation derives from the spec (concurrent ~ slowest, sequential ~ sum).

The expectation is computed from the spec alone (and the model, where the
models truly differ), never from a run.

The contract is read in one import, ``from shared.contract import ...``: every
name below is re-exported here (``X as X``). Its modules, in the order a run
meets them: ``specs`` (what a run is given), ``outcomes`` (what it reports, and
what is expected of it), ``protocols`` (what an impl package provides),
``transcripts`` (what a scenario prints), ``conformance`` (the check that an
impl package provides it) and ``pythons`` (what each CPython version changes in
a model).
"""

from __future__ import annotations

from shared.contract.outcomes import (
    CLOCK_SLACK as CLOCK_SLACK,
)
from shared.contract.outcomes import (
    Bound as Bound,
)
from shared.contract.outcomes import (
    Difference as Difference,
)
from shared.contract.outcomes import (
    Expected as Expected,
)
from shared.contract.outcomes import (
    Outcome as Outcome,
)
from shared.contract.outcomes import (
    Scenario as Scenario,
)
from shared.contract.outcomes import (
    at_least as at_least,
)
from shared.contract.outcomes import (
    one_by_one_and_at_once as one_by_one_and_at_once,
)
from shared.contract.protocols import (
    HostReport as HostReport,
)
from shared.contract.protocols import (
    Runtime as Runtime,
)
from shared.contract.protocols import (
    ScenarioModule as ScenarioModule,
)
from shared.contract.specs import (
    DEFAULT_HTTP_TIMEOUT as DEFAULT_HTTP_TIMEOUT,
)
from shared.contract.specs import (
    DEMO_SCALE as DEMO_SCALE,
)
from shared.contract.specs import (
    EVENTS as EVENTS,
)
from shared.contract.specs import (
    HOST as HOST,
)
from shared.contract.specs import (
    HTTP_TIMEOUT as HTTP_TIMEOUT,
)
from shared.contract.specs import (
    HTTP_TIMEOUT_VARIABLE as HTTP_TIMEOUT_VARIABLE,
)
from shared.contract.specs import (
    IP as IP,
)
from shared.contract.specs import (
    LONGEST_RUN as LONGEST_RUN,
)
from shared.contract.specs import (
    MAX_SCALE as MAX_SCALE,
)
from shared.contract.specs import (
    MIN_SCALE as MIN_SCALE,
)
from shared.contract.specs import (
    MODELS as MODELS,
)
from shared.contract.specs import (
    HttpSpec as HttpSpec,
)
from shared.contract.specs import (
    PostgresSpec as PostgresSpec,
)
from shared.contract.specs import (
    Spec as Spec,
)
from shared.contract.specs import (
    http_timeout as http_timeout,
)
from shared.contract.specs import (
    parse_scale as parse_scale,
)
from shared.contract.transcripts import (
    Transcript as Transcript,
)
from shared.documents import (
    jsonable as jsonable,
)
