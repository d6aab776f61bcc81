# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""Property-based fuzzing of every operation of the OpenAPI schema (schemathesis).

The schema is loaded from the application itself (/api/v1/schema/, through WSGI), then
each operation becomes a test that calls it with generated requests as a social worker of
the community, against a small neighbourhood with open cases. Every answer must be one the
schema declares (status code, content type, headers, body) and never a server error. The
same tests run on SQLite and on PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from grassroots.cases.services import Party, case_dispatch
from grassroots.config.wsgi import application
from tests.test_api_helpers import (  # noqa: F401 (fixtures)
    _fresh_rate_limits,
    case_in_grid_a,
    case_in_grid_b,
    token_for,
)

#: Generous limits, so that fuzzing measures behaviour, not rate limits (429 is tested elsewhere).
FUZZ_RATES = {"token": "100000/min", "open311_post": "100000/min", "inbound": "100000/min"}

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)

#: Ids of records that exist in the current test, so that half the generated paths reach them.
EXISTING: list[int] = []


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, aim a well-formed id at a record that exists (the case, its household)."""
    well_formed = isinstance((path_parameters or {}).get("id"), int) and not isinstance(
        path_parameters["id"], bool
    )
    if not well_formed or not EXISTING:
        return st.just(path_parameters)
    return st.one_of(
        st.just(path_parameters), st.sampled_from(EXISTING).map(lambda pk: {**path_parameters, "id": pk})
    )


@pytest.fixture
def fuzz_token(db, settings, socialworker, volunteer, case_in_grid_a, case_in_grid_b) -> str:
    """A social worker's token, with one case dispatched to a volunteer and one just reported.

    Calls through the WSGI app must not close the test's database connection (Django's own
    test client arranges the same): its transaction holds the fixtures.
    """
    settings.GRASSROOTS_API_THROTTLE_RATES = FUZZ_RATES
    case_dispatch(actor=socialworker, case=case_in_grid_a, lead=Party("person", volunteer.person_id))
    EXISTING[:] = sorted(
        {case_in_grid_a.pk, case_in_grid_b.pk, case_in_grid_a.household_id, socialworker.community_id}
    )
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield token_for(socialworker)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    EXISTING.clear()


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_as_its_schema_says(case, fuzz_token):
    # A request can fit the schema and still be refused on its merits (wrong password, an
    # action not possible now, a party of another community): 400/409 are the documented
    # answers then, so "positive data must be accepted" does not apply here.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_token}"}, excluded_checks=[positive_data_acceptance]
    )
