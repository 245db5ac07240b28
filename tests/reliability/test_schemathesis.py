"""Schemathesis against both OpenAPI documents of a real ``sor serve`` (CI-sized).

A fresh demo register (SQLite, or a new PostgreSQL database when ``SOR_TEST_DATABASE_URL``
names one) is published and served; schemathesis then generates requests for every operation
of the lookup service's ``/api/v1/openapi.json`` and of the write API's
``/api/v1/register/openapi.json`` (with an ``authority`` token), in the phases its pytest
integration runs (examples, coverage, fuzzing), and walks the write API statefully. No answer
may be a 5xx or a broken response (``not_a_server_error``, as ``bench/fuzz_api.py`` checks);
and every answer must match its document (``response_schema_conformance``).

``SOR_FUZZ_API_EXAMPLES`` sets the examples per operation (default 5); the runs are
deterministic (derandomised) so that CI repeats them. The longer campaign is
``python -m bench.fuzz_api --max-examples 100`` (see ``docs/reliability.md``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from bench.fuzz_api import LOOKUP_DOCUMENT, REGISTER_DOCUMENT, prepare_register
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.reliability.faults import fresh_register
from tests.servers import running_sor_serve

EXAMPLES = int(os.environ.get("SOR_FUZZ_API_EXAMPLES", "5"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
STATEFUL = settings(FUZZ, max_examples=6 * EXAMPLES, stateful_step_count=10)


@dataclass(frozen=True)
class Served:
    """The running server and a token with the ``authority`` role."""

    base: str
    token: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``sor serve`` over a fresh, published demo register (scale 0.01) of the suite's database."""
    home = tmp_path_factory.mktemp("schemathesis") / "home"
    with fresh_register(home, os.environ.get("SOR_TEST_DATABASE_URL")) as env:
        token = prepare_register(env, 0.01)
        with running_sor_serve(Path(env["SOR_PUBLICATIONS"]), env=env) as base:
            yield Served(base, token)


@pytest.fixture
def lookup_document(served: Served) -> Any:
    """The lookup service's OpenAPI document, as the server publishes it."""
    return schemathesis.openapi.from_url(f"{served.base}{LOOKUP_DOCUMENT}")


@pytest.fixture
def register_document(served: Served) -> Any:
    """The write API's OpenAPI document, every request sent with the authority's token."""
    document = schemathesis.openapi.from_url(f"{served.base}{REGISTER_DOCUMENT}")
    document.config.update(headers={"Authorization": f"Bearer {served.token}"})
    return document


lookup_operations = schemathesis.pytest.from_fixture("lookup_document")
register_operations = schemathesis.pytest.from_fixture("register_document")


@lookup_operations.parametrize()
@FUZZ
def test_the_lookup_answers_every_generated_request_as_documented(case: Any) -> None:
    """No 5xx, and every answer (status, headers, body) as the lookup's document says."""
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])


@register_operations.parametrize()
@FUZZ
def test_the_write_api_answers_every_generated_request_without_a_server_error(
    case: Any,
) -> None:
    """No 5xx, and every answer as the write API's document says."""
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])


def test_the_write_api_survives_generated_sequences_of_calls(register_document: Any) -> None:
    """Stateful: chains of calls linked by the document (create, then read or change it …)."""
    statuses: list[int] = []

    class Workflow(register_document.as_state_machine()):  # type: ignore[misc]
        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            statuses.append(response.status_code)
            case.validate_response(
                response, checks=[not_a_server_error], transport_kwargs=kwargs or None
            )

    run_state_machine_as_test(Workflow, settings=STATEFUL)
    assert statuses, "the stateful run sent no request"
