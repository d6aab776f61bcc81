# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""Property-based fuzzing of every operation of the OpenAPI schema (schemathesis), every check on.

The schema is loaded from the application itself (/api/v1/schema/, through WSGI), then
each operation becomes a test that calls it with generated requests as a social worker of
the community, against a small neighbourhood with open cases. Every phase runs (examples,
coverage, fuzzing) in both generation modes: a request that fits the schema must be
accepted (`positive_data_acceptance`), one that does not must be refused with a 4xx
(`negative_data_rejection`), and every answer must be one the schema declares (status
code, content type, headers, body), never a server error. The same tests run on SQLite
and on PostgreSQL (DATABASE_URL).

What the schema cannot know is stated per operation in FUZZ_CONFIG, each with its reason:
a request can fit the schema and still be refused on its merits, and those refusals are
declared as expected statuses of `positive_data_acceptance` (schemathesis's configuration
for that check) instead of turning the check off.
"""

from __future__ import annotations

import io

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PIL import Image
from schemathesis.config import SchemathesisConfig

from grassroots.cases.services import Party, case_dispatch
from grassroots.cases.uploads import IMAGE_TYPES
from grassroots.cases.workflow import REGISTRY
from grassroots.config.wsgi import application
from tests.test_api_helpers import (  # noqa: F401 (fixtures)
    _fresh_rate_limits,
    case_in_grid_a,
    case_in_grid_b,
    token_for,
)

#: Generous limits, so that fuzzing measures behaviour, not rate limits (429 is tested elsewhere).
FUZZ_RATES = {"token": "100000/min", "open311_post": "100000/min", "inbound": "100000/min"}

#: What a well-formed request may be answered (schemathesis's default: 2xx, 3xx, 401, 403, 404,
#: 409, 429), plus 422: an Idempotency-Key that an earlier generated request used with another
#: body is refused, as the schema documents (the generated keys repeat within a test).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
#: ... plus 400 where the body names records by id or code: the schema states the shape of a
#: reference ("team:3", a whole number, a slug), not which records exist in this community.
ACCEPTED_OR_NO_SUCH_RECORD = [*ACCEPTED, "400"]

#: The case actions whose bodies name another party or case (cases.workflow inputs).
REFERENCING_ACTIONS = sorted(
    name
    for name, declared in REGISTRY.items()
    if any(item.kind in {"party", "parties", "case"} for item in declared.inputs)
)


def expect_on_merits(path_regex: str, method: str = "POST") -> dict:
    """An operations entry: 400 is a refusal on the merits there, not a schema that says too little."""
    return {
        "include-path-regex": path_regex,
        "include-method": method,
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_OR_NO_SUCH_RECORD}},
    }


FUZZ_CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        "operations": [
            # A wrong username or password fits the schema; the answer is 400 (DRF's token view).
            expect_on_merits(r"^/api/v1/auth/token/$"),
            # A category code, community, household or building of someone else, or none at all.
            expect_on_merits(r"^/api/v1/cases/$"),
            # A community, grid, category or handler of someone else, or none at all.
            expect_on_merits(r"^/api/v1/figures/$", "GET"),
            expect_on_merits(rf"^/api/v1/cases/\{{id\}}/({'|'.join(REFERENCING_ACTIONS)})/$"),
        ],
    }
)

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, config=FUZZ_CONFIG)


def _tiny_image(kind: str) -> bytes:
    """A 1 x 1 photo in one of the formats cases.uploads accepts."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, format=kind)
    return buffer.getvalue()


# The schema says which photos a multipart body may carry (encoding contentType); these are
# what such a photo is, so that a positive request carries a real one.
for _kind, _media_type in IMAGE_TYPES.items():
    schemathesis.openapi.media_type(_media_type, st.just(_tiny_image(_kind)))

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
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_token}"})


SWITCHBOARD_KEY = "fuzz-switchboard-key-0123456789"
#: The switchboard's endpoint, fuzzed with a switchboard's key (the token above is refused there). A line
#: code the community has not configured, a number that is no phone number, a time outside the last day
#: fit the schema and are refused on their merits (400). A schema of its own: schemathesis ignores
#: `include` on a schema whose configuration names operations (FUZZ_CONFIG).
TELEPHONY_CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_OR_NO_SUCH_RECORD}}}
)
telephony_schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/?format=json", application, config=TELEPHONY_CONFIG
).include(path_regex=r"^/api/v1/telephony/")


@pytest.fixture
def switchboard_key(db, settings, community) -> str:
    """A switchboard's key (scope telephony) and its line "office": what calls the telephony endpoint."""
    from grassroots.api.clients import apiclient_create
    from grassroots.telephony.models import Line

    settings.GRASSROOTS_API_THROTTLE_RATES = {**FUZZ_RATES, "telephony": "100000/min"}
    Line.objects.create(community=community, code="office", name="社区服务热线")
    apiclient_create(name="asterisk", community=community, scopes=["telephony"], key=SWITCHBOARD_KEY)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield SWITCHBOARD_KEY
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@telephony_schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_switchboards_call_events_answer_as_the_schema_says(case, switchboard_key, granny_wang):
    """The telephony endpoint serves switchboard keys only: fuzzed with one, not with the token above.
    Its example (line "office", Granny Wang's number) rings for real: a call row is written."""
    from grassroots.telephony.models import Call

    response = case.call_and_validate(headers={"Authorization": f"Bearer {switchboard_key}"})
    if response.status_code == 201:
        assert Call.objects.filter(call_id=response.json()["call_id"]).exists()


@pytest.mark.parametrize("fuzzed", [schema, telephony_schema], ids=["token", "switchboard"])
def test_every_check_and_both_modes_are_on(fuzzed):
    """Nothing is switched off quietly: all checks, positive and negative data, every phase."""
    config = fuzzed.config
    checks = config.checks_config_for(operation=None, phase=None)
    assert all(
        checks.get_by_name(name=name).enabled
        for name in ("positive_data_acceptance", "negative_data_rejection", "not_a_server_error")
    )
    assert {mode.value for mode in config.generation_for(operation=None).modes} == {"positive", "negative"}
    phases = config.phases_for(operation=None)
    assert phases.examples.enabled and phases.coverage.enabled and phases.fuzzing.enabled
