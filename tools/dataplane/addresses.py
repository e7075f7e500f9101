"""Where the data plane's host-side listeners publish: fixed loopback addresses per environment.

Each environment has its own 127.0.<n>.0/24 block (dev 1, staging 2, prod 3), so the data planes of
several environments can run side by side, each on the standard ports (80, 443) that its names use.
Nothing listens on the machine's other interfaces.
"""

from __future__ import annotations

BLOCKS = {"dev": 1, "staging": 2, "prod": 3}
# The listeners of one environment: the load balancer stand-in (HAProxy), the WAF in front of it when the
# load balancer has a web ACL (tools/dataplane/edge.py), the edge (CloudFront + its WAF), S3 website endpoints.
HOSTS = {"alb": 10, "alb_waf": 11, "edge": 20, "website": 30}


def for_env(env: str) -> dict[str, str]:
    block = BLOCKS[env]
    return {name: f"127.0.{block}.{host}" for name, host in HOSTS.items()}
