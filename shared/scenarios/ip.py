"""The article's IP-echo services, as the local services stand in for them.

Not a scenario: what the scenarios of the article's sections 2 to 4 share. A
service has a name (the one the article prints), an endpoint on the local
services, and the JSON attribute that holds the IP in its answer. "borken", the
article's service that is down, has no endpoint: it is the unreachable URL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from shared.contract import HttpSpec


@dataclass(frozen=True)
class IpService:
    name: str
    endpoint: str  # path on the local services; "" for the one that is down
    attribute: str  # the key of the answer's JSON that holds the IP


IPIFY = IpService("ipify", "/ip/ipify", "ip")
IP_API = IpService("ip-api", "/ip/ip-api", "query")
BORKEN = IpService("borken", "", "ip")
#: A service whose answer changed: the attribute asked for is not in it.
MALFORMED = IpService("malformed", "/ip/malformed", "this-is-not-an-attr")

#: What the scenarios report for a service that could not be reached.
UNRESPONSIVE = "unresponsive"


def address(spec: HttpSpec, service: IpService, article_seconds: float = 0.0) -> str:
    """Where to ask ``service``; it answers after ``article_seconds``, scaled."""
    if not service.endpoint:
        return spec.unreachable_url
    return spec.url(service.endpoint, delay=spec.seconds(article_seconds))


@dataclass(frozen=True, kw_only=True)
class IpSpec(HttpSpec, ABC):
    """The spec of a scenario that asks IP services: which ones, and how long each takes."""

    @abstractmethod
    def services(self) -> list[tuple[IpService, float]]:
        """Each service with its response time (the article's seconds), in the article's order."""

    def calls(self) -> list[tuple[IpService, str]]:
        """The services, in the same order, with where to ask each."""
        return [(service, address(self, service, delay)) for service, delay in self.services()]


def root_cause(exc: BaseException) -> str:
    """The name of the innermost exception under ``exc``: what the OS said.

    Each HTTP client wraps a refused connection in exceptions of its own
    (aiohttp's ``ClientConnectorError``; requests' ``ConnectionError`` around
    urllib3's); under them lies the same ``ConnectionRefusedError``.
    """
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    return type(exc).__name__
