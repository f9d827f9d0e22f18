"""Role dependencies as Annotated aliases, so route signatures read like prose."""

from typing import Annotated

from fastapi import Depends, Request

from huimin_shared.auth import Principal, Role, require_roles

Registrar = Annotated[Principal, Depends(require_roles(Role.civil_affairs, Role.community_officer))]
CivilAffairs = Annotated[Principal, Depends(require_roles(Role.civil_affairs))]
CommunityOfficer = Annotated[Principal, Depends(require_roles(Role.community_officer))]
# A resident reads their own status and certificate (residents/repository.readable keeps them to it).
StatusReader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.service, Role.social_insurance, Role.civil_affairs, Role.community_officer, Role.resident
        )
    ),
]
RosterReader = Annotated[
    Principal, Depends(require_roles(Role.service, Role.social_insurance, Role.civil_affairs))
]
CountReader = Annotated[
    Principal, Depends(require_roles(Role.service, Role.social_insurance, Role.civil_affairs, Role.finance))
]
ReportReader = Annotated[
    Principal, Depends(require_roles(Role.civil_affairs, Role.social_insurance, Role.community_officer))
]
# Case workers search by name, community, household, category; an auditor may too, with masked numbers.
Searcher = Annotated[
    Principal, Depends(require_roles(Role.civil_affairs, Role.community_officer, Role.auditor))
]
# The disclosure list is public in the community (masked): registrars publish it, auditors check it.
DisclosureReader = Annotated[
    Principal, Depends(require_roles(Role.civil_affairs, Role.community_officer, Role.auditor))
]
Auditor = Annotated[Principal, Depends(require_roles(Role.auditor, Role.civil_affairs))]
ReadLogReader = Annotated[
    Principal,
    Depends(require_roles(Role.auditor, Role.civil_affairs, Role.community_officer, Role.resident)),
]


def deployment_cities(request: Request) -> tuple[str, ...]:
    """The cities this deployment serves (settings.cities): where residents may live (E1)."""
    return tuple(request.app.state.settings.cities)


Cities = Annotated[tuple[str, ...], Depends(deployment_cities)]
