"""Schemathesis fuzzes every operation of the JSON API (its /openapi.json):
whatever it sends -- with an admin's token -- the server never answers 500,
and every error is JSON saying what is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from marsad.review.service import Review
from marsad.review.users import CONSOLE
from marsad.web.app import create_app


def test_the_api_never_fails_with_a_server_error(analysed_ws: Path) -> None:
    from hypothesis import given

    review = Review(analysed_ws)
    review.sync(CONSOLE)
    review.users.add(CONSOLE, "fuzzer", "admin", "a password long enough")
    token = review.users.new_token(CONSOLE, "fuzzer", "fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(review))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    seen: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400:
                ctype = response.headers.get("content-type") or [""]
                ctype = ctype[0] if isinstance(ctype, list) else ctype
                assert ctype.startswith("application/json"), (response.status_code, ctype)
            seen.append(response.status_code)

        fuzz()
    review.close()
    assert len(seen) >= len(operations)
