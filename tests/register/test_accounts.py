"""Users, roles, API tokens (kept only as digests) and the login lockout."""

from __future__ import annotations

import hashlib

import pytest

from opensor.domain.responsibility import Role, RoleError
from opensor.register.accounts import services
from opensor.register.accounts.models import ApiToken, LoginThrottle


@pytest.mark.django_db
def test_a_user_holds_its_roles() -> None:
    user = services.user_add("region-sj", ["region:1085", "authority"], password="s3cret-pass")
    assert services.roles_of(user.pk) == (Role.parse("authority"), Role.parse("region:1085"))
    with pytest.raises(services.AccountError, match="exists already"):
        services.user_add("region-sj", ["authority"])


@pytest.mark.django_db
def test_bad_roles_create_nothing() -> None:
    from django.contrib.auth import get_user_model

    with pytest.raises(RoleError):
        services.user_add("x", ["region:1085", "emperor"])
    with pytest.raises(services.AccountError, match="at least one role"):
        services.user_add("x", [])
    assert not get_user_model().objects.filter(username="x").exists()


@pytest.mark.django_db
def test_tokens_are_shown_once_stored_as_digests_and_revocable() -> None:
    services.user_add("ehr-client", ["municipality:0101"])
    row, raw = services.token_create("ehr-client", "EHR system")
    assert raw.startswith(services.TOKEN_PREFIX) and len(raw) > 40
    stored = ApiToken.objects.get(pk=row.pk)
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.values().get(pk=row.pk))
    actor = services.actor_for_token(raw, request_id="r1")
    assert actor is not None
    assert (actor.username, actor.client, actor.request_id) == (
        "ehr-client",
        "api:EHR system",
        "r1",
    )
    assert actor.roles == (Role.parse("municipality:0101"),)
    assert services.actor_for_token(raw[:-1] + "x") is None
    assert services.actor_for_token("not-a-token") is None
    assert services.token_revoke(raw[:12]) == 1
    assert services.actor_for_token(raw) is None
    with pytest.raises(services.AccountError):
        services.token_create("nobody")


@pytest.mark.django_db
def test_logins_lock_after_repeated_failures() -> None:
    services.user_add("maintainer", ["region:1085"], password="correct horse")
    assert services.login_check("maintainer", "correct horse") is not None
    for _ in range(services.LOCKOUT_AFTER):
        assert services.login_check("maintainer", "wrong") is None
    with pytest.raises(services.LoginLocked):
        services.login_check("maintainer", "correct horse")
    LoginThrottle.objects.filter(username="maintainer").update(locked_until=None)
    assert services.login_check("maintainer", "correct horse") is not None
