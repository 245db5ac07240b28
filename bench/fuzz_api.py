"""Schemathesis against both OpenAPI documents: no 500 from any generated request.

    python -m bench.fuzz_api [--max-examples 50] [--scale 0.02] [--seconds 600] [--seed 1]

A fresh demo register (``sor init``, ``sor demo``, ``sor publish`` in a temporary
``SOR_HOME``, SQLite) is served by ``sor serve``; a user with the ``authority`` role and an API
token are created; then ``st run`` (schemathesis) runs every operation of

* the lookup service's ``/api/v1/openapi.json`` and
* the write API's ``/api/v1/register/openapi.json`` (with ``Authorization: Bearer <token>``),

in every phase (examples, coverage, fuzzing, stateful), with the check ``not_a_server_error``
(no 5xx answer, no broken response). Each run is bounded by ``--max-examples`` per operation
and by ``--seconds`` of wall time. The figures (operations, test cases, failures) and the
schemathesis output are written to ``bench/out/fuzz_api.json`` and ``bench/out/fuzz_api/``.

The CI-sized run of the same documents is ``tests/reliability/test_schemathesis.py``; it
prepares its register with :func:`prepare_register` and fuzzes :data:`LOOKUP_DOCUMENT` and
:data:`REGISTER_DOCUMENT`.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._harness import OUT, write_result

__all__ = ["LOOKUP_DOCUMENT", "REGISTER_DOCUMENT", "SetupFailed", "prepare_register"]

REPO = Path(__file__).resolve().parents[1]
LOOKUP_DOCUMENT = "/api/v1/openapi.json"
"""The lookup service's OpenAPI document (no token needed)."""
REGISTER_DOCUMENT = "/api/v1/register/openapi.json"
"""The write API's OpenAPI document (its operations need ``Authorization: Bearer <token>``)."""


class SetupFailed(RuntimeError):
    """A ``sor`` command preparing the register failed; the message holds its error output."""


def _sor(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "opensor.cli", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SetupFailed(f"sor {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def prepare_register(env: dict[str, str], scale: float) -> str:
    """Fill the initialised register of ``env`` for fuzzing; return an API token for it.

    Loads the demo register at ``scale``, publishes it (so the lookup service has something to
    serve), adds the user ``fuzz`` with the ``authority`` role (the write API's widest scope)
    and creates a token for it.
    """
    _sor(env, "demo", "--scale", str(scale))
    _sor(env, "publish")
    _sor(env, "user", "add", "fuzz", "--role", "authority")
    return _sor(env, "token", "create", "fuzz", "--label", "fuzz").strip().split()[-1]


def _schemathesis(
    name: str, schema: str, headers: list[str], options: argparse.Namespace
) -> dict[str, object]:
    """Run ``st run`` on one document; return what it found."""
    out = OUT / "fuzz_api"
    out.mkdir(parents=True, exist_ok=True)
    command = [
        "st", "run", schema,
        "--checks", "not_a_server_error",
        "--max-examples", str(options.max_examples),
        "--seed", str(options.seed),
        "--request-timeout", "30",
        "--continue-on-failure",
        "--suppress-health-check", "all",
        "--report", "junit",
        "--report-junit-path", str(out / f"{name}.junit.xml"),
    ]  # fmt: skip
    for header in headers:
        command += ["--header", header]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=options.seconds,
            check=False,
            cwd=out,  # schemathesis keeps its example database in ./.schemathesis
        )
        output, timed_out, code = done.stdout + done.stderr, False, done.returncode
    except subprocess.TimeoutExpired as error:
        raw = error.stdout or b""
        output = raw.decode() if isinstance(raw, bytes) else raw
        timed_out, code = True, None
    elapsed = time.perf_counter() - started
    (out / f"{name}.txt").write_text(output)
    failures = sorted(set(re.findall(r"^\s+(curl -X .*)$", output, re.MULTILINE)))
    summary = [
        line.strip()
        for line in output.splitlines()
        if re.search(r"\b(passed|failed|errors?|skipped|test cases|operations)\b", line)
    ][-8:]
    return {
        "schema": schema,
        "seconds": round(elapsed, 1),
        "timed_out": timed_out,
        "exit_status": code,
        "failures_reproduced_by": failures,
        "summary": summary,
    }


def main() -> None:
    """Prepare the register, serve it, fuzz both documents, save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seconds", type=float, default=600, help="Per document.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--base", help="Fuzz this running server (give --token too).")
    parser.add_argument("--token")
    options = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from tests.servers import running_sor_serve

    with tempfile.TemporaryDirectory(prefix="sor-fuzz-") as home:
        env = {**os.environ, "SOR_HOME": home, "SOR_PUBLICATIONS": f"{home}/publications"}
        env.pop("SOR_DATABASE_URL", None)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        result: dict[str, object] = {"max_examples": options.max_examples, "seed": options.seed}
        if options.base:
            base, token = options.base, options.token or ""
            runs = _runs(base, token, options)
        else:
            try:
                _sor(env, "init")
                token = prepare_register(env, options.scale)
            except SetupFailed as error:
                raise SystemExit(str(error)) from None
            with running_sor_serve(Path(home) / "publications", env=env) as base:
                runs = _runs(base, token, options)
        result.update(scale=options.scale, **runs)
    for name, run in runs.items():
        print(f"{name}: {run}")
    print(write_result("fuzz_api", result))


def _runs(base: str, token: str, options: argparse.Namespace) -> dict[str, object]:
    return {
        "lookup": _schemathesis("lookup", f"{base}{LOOKUP_DOCUMENT}", [], options),
        "register": _schemathesis(
            "register",
            f"{base}{REGISTER_DOCUMENT}",
            [f"Authorization: Bearer {token}"],
            options,
        ),
    }


if __name__ == "__main__":
    main()
