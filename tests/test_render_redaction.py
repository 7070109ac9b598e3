"""The last net for secrets: every line on stderr and every error document is masked,
nested details included, whatever the layers below forgot."""

from __future__ import annotations

import io
import json

from otpcli.cli.render import Env
from otpcli.domain.errors import ProviderError

SECRET = "SENTINEL-render-7f6e5d"


def test_progress_lines_and_nested_error_details_are_masked() -> None:
    out, err = io.StringIO(), io.StringIO()
    e = Env(stdout=out, stderr=err, json=True, secrets=[SECRET])
    e.info(f"5000000001: could not cancel (GET /x?api_key={SECRET} failed)")
    failure = ProviderError(f"upstream said {SECRET}")
    failure.details = {"settled": [{"id": "1", "message": f"key {SECRET} refused"}]}
    e.error(failure)
    assert SECRET not in out.getvalue() + err.getvalue()
    doc = json.loads(out.getvalue())
    assert doc["settled"][0]["message"] == "key *** refused"
    assert "api_key=***" in err.getvalue()
