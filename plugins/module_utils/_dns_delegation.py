# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Is a Route 53 hosted zone delegated? Ask DNS for the NS records of its name and compare.

ACM validates a certificate by looking its CNAMEs up in public DNS, so a hosted zone that the domain's
registrar (or parent zone) does not point at is never read, and the certificate waits forever. The
pure functions here decide and explain; `public_name_servers` asks a resolver (dnspython).
"""

from __future__ import annotations

try:
    import dns.exception
    import dns.nameserver
    import dns.resolver

    HAS_DNSPYTHON = True
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    HAS_DNSPYTHON = False

# Seconds one lookup may take, retries across the resolvers included.
LOOKUP_LIFETIME = 10.0


class DelegationLookupError(Exception):
    """DNS could not be asked (no resolver answered): the delegation is unknown, not absent."""


def normalise(name):
    """Absolute, lower case, with the trailing dot (DNS names compare that way)."""
    return str(name).strip().rstrip(".").lower() + "."


def parse_resolvers(resolvers):
    """`address` or `address:port` (IPv6 as `[address]:port`) -> [(address, port)]; ValueError names the bad one."""
    parsed = []
    for entry in resolvers or []:
        text = str(entry).strip()
        host, port = text, 53
        if text.startswith("["):
            host, _bracket, rest = text[1:].partition("]")
            if rest:
                port = rest.lstrip(":")
        elif text.count(":") == 1:
            host, port = text.split(":")
        try:
            port = int(port)
        except ValueError:
            port = -1
        if not host or not 0 < port < 65536:
            raise ValueError(f"resolver {entry!r} is not an address or address:port")
        parsed.append((host, port))
    return parsed


def is_delegated(zone_name_servers, public_name_servers):
    """Delegated when public DNS names at least one name server, and only the zone's own."""
    public = {normalise(n) for n in public_name_servers}
    return bool(public) and public <= {normalise(n) for n in zone_name_servers}


def instruction(zone_name, zone_id, zone_name_servers, answer, answered_by):
    """What to tell the user when the zone is not delegated: what DNS said, and what to set where.

    `answer` is what `public_name_servers` returned: (name servers, what DNS said when there were none).
    """
    zone = normalise(zone_name).rstrip(".")
    public, reason = answer
    found = f"answers NS {list(public)}" if public else f"has no NS records for it ({reason})"
    wanted = "\n".join(f"  {normalise(n)}" for n in zone_name_servers)
    return (
        f"The hosted zone {zone} ({zone_id}) is not delegated: DNS ({answered_by}) {found}. ACM reads the "
        f"validation records from public DNS, so the certificate stays PENDING_VALIDATION until {zone} is "
        f"delegated to this zone. Set these name servers for {zone} at its registrar (or as its NS record "
        f"in the parent zone), then run again:\n{wanted}"
    )


def _resolver(resolvers):
    if not resolvers:
        return dns.resolver.Resolver()
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in resolvers]
    return resolver


def public_name_servers(zone_name, resolvers=None, lifetime=LOOKUP_LIFETIME):
    """NS records of `zone_name` as DNS answers them, and why there are none when there are none.

    Returns (sorted name servers, reason): ([], "NXDOMAIN") when the name does not exist, ([], "no NS
    answer") when it exists without NS records, ([], "SERVFAIL ...") when every server failed for it (as
    a lame delegation does). Raises DelegationLookupError when no resolver answered at all (a timeout):
    the delegation is then unknown. `resolvers`: [(address, port)]; empty means the system's.
    """
    try:
        answer = _resolver(resolvers).resolve(normalise(zone_name), "NS", lifetime=lifetime, search=False)
    except dns.resolver.NXDOMAIN:
        return [], "NXDOMAIN"
    except dns.resolver.NoAnswer:
        return [], "no NS answer"
    except dns.resolver.NoNameservers as e:
        return [], f"SERVFAIL or refused from every server: {e}"
    except dns.exception.DNSException as e:
        raise DelegationLookupError(str(e)) from e
    return sorted(normalise(r.target.to_text()) for r in answer), ""
