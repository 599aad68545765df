from __future__ import annotations

from types import MappingProxyType

import pytest

from shipyard.core.errors import InvalidInput, PermissionDenied
from shipyard.core.principal import LOCAL_OWNER, Principal, Role


def test_roles_are_ordered_weakest_first() -> None:
    assert Role.VIEWER < Role.CONTRIBUTOR < Role.MAINTAINER < Role.ADMIN
    assert Role.parse(" Maintainer ") is Role.MAINTAINER
    with pytest.raises(InvalidInput, match="viewer, contributor, maintainer, admin"):
        Role.parse("owner")


def test_a_role_holds_the_permissions_of_weaker_roles_in_its_project_only() -> None:
    ann = Principal("ann", roles=MappingProxyType({"churn": Role.MAINTAINER}))
    assert ann.has(Role.VIEWER, "churn")
    assert ann.has(Role.MAINTAINER, "churn")
    assert not ann.has(Role.ADMIN, "churn")
    assert not ann.has(Role.VIEWER, "fraud")


def test_require_names_who_what_and_the_role_needed() -> None:
    bob = Principal("bob", roles=MappingProxyType({"churn": Role.VIEWER}))
    with pytest.raises(PermissionDenied) as caught:
        bob.require(Role.CONTRIBUTOR, "churn", "log runs")
    assert "bob may not log runs in project 'churn'" in caught.value.one_line()
    assert "contributor" in caught.value.one_line()


def test_the_local_owner_may_do_anything() -> None:
    LOCAL_OWNER.require(Role.ADMIN, "any-project", "anything")
