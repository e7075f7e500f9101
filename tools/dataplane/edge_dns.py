"""Route 53 records as resolve entries: the names a viewer uses, pointed at the stand-ins that serve them.

Nothing changes the machine's DNS. The entries ("host:port:address", curl's `--resolve` format) go to
the data plane's state file; Python processes, curl and Chromium (`--host-resolver-rules`) use them.

A record is followed the way a resolver would: an alias (A/AAAA) or a CNAME to a name that a stand-in
serves (a CloudFront distribution's domain, a load balancer's DNS name) maps to that stand-in's
address, on every port it serves, plain HTTP included so that redirects to HTTPS can be followed.
Records that point elsewhere (an IP address, a name outside the data plane) give no entry.
"""

from __future__ import annotations

# Route 53 prefixes an alias to a load balancer with "dualstack."; it resolves to the same load balancer.
_ALIAS_PREFIXES = ("dualstack.",)


def canonical(name: str) -> str:
    """A DNS name as compared here: lower case, no trailing dot, Route 53's \\052 as '*'."""
    name = name.lower().rstrip(".").replace("\\052", "*")
    for prefix in _ALIAS_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name


def entries(records: list[dict], served: dict[str, tuple[str, list[int]]], max_depth: int = 8) -> list[str]:
    """Resolve entries for the records whose chain ends at a served name.

    records: ResourceRecordSets of the hosted zones (ListResourceRecordSets).
    served: name -> (address, ports) for the names the stand-ins answer (those get entries too).
    """
    served = {canonical(k): v for k, v in served.items()}
    points_to = {}
    for record in records:
        name = canonical(record["Name"])
        if record["Type"] in ("A", "AAAA") and record.get("AliasTarget"):
            points_to.setdefault(name, canonical(record["AliasTarget"]["DNSName"]))
        elif record["Type"] == "CNAME" and record.get("ResourceRecords"):
            points_to.setdefault(name, canonical(record["ResourceRecords"][0]["Value"]))
    result = []

    def add(host: str, target: tuple[str, list[int]]) -> None:
        address, ports = target
        for port in ports:
            entry = f"{host}:{port}:{address}"
            if entry not in result:
                result.append(entry)

    for name, target in served.items():
        add(name, target)
    for name in points_to:
        current, depth = name, 0
        while current in points_to and current not in served and depth < max_depth:
            current, depth = points_to[current], depth + 1
        if current in served and "*" not in name:
            add(name, served[current])
    return result


def merge(existing: list[str], new: list[str]) -> list[str]:
    """The entries of `new`, replacing those of `existing` for the same host and port."""
    replaced = {e.rsplit(":", 1)[0] for e in new}
    kept = [e for e in existing if e.rsplit(":", 1)[0] not in replaced]
    return kept + [e for e in new if e not in kept]
