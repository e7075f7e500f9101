"""Public DNS as the emulator's world sees it: a small DNS server on loopback, answered from Route 53.

On AWS, "public DNS" is whatever the registrars and the root servers delegate. In the emulator there
is no registrar: its public hosted zones are the only authoritative DNS there is, so every public zone
counts as delegated to its own name servers. This module says which zone public DNS would ask for a
name (`public_zone_for`, also what the strict ACM patch reads) and runs a UDP server that answers:

- NS for the name of a public hosted zone: the zone's name servers (its delegation set), as the
  parent zone's delegation gives them on AWS;
- any other type or name inside a zone: the zone's own record set of that name and type (CNAME, A
  with values, TXT...), NOERROR with no answer when it has none;
- a name no public zone covers: NXDOMAIN.

When two public zones have the same name (AWS allows it), the registrar points at one of them: the
oldest here. Alias records are not resolved (they have no values of their own). The server listens
on UDP at the emulator's own address and port, so `emulator.client_env` can name it without another
handshake; playbooks read it from WEBSTACK_DNS_RESOLVERS, as acm_certificate_request's `resolvers`
option does on real AWS with any resolver.
"""

from __future__ import annotations

import socketserver
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def _norm(name: str) -> str:
    return str(name).strip().rstrip(".").lower() + "."


def _public_zones():
    """Every public hosted zone of the emulator, in creation order (all accounts: public DNS is global)."""
    from moto.route53.models import route53_backends  # noqa: PLC0415

    for account_backends in list(route53_backends.values()):
        backend = account_backends.get("aws") if hasattr(account_backends, "get") else None
        if backend is None:
            continue
        for zone in list(backend.zones.values()):
            if not zone.private_zone:
                yield zone


def public_zone_for(name: str):
    """The public hosted zone public DNS would ask for `name`: the longest zone name that is `name` or
    one of its parents (the oldest zone of that name); None when no public zone covers it."""
    wanted = _norm(name)
    best = None
    for zone in _public_zones():
        zone_name = _norm(zone.name)
        covers = wanted == zone_name or wanted.endswith("." + zone_name)
        if covers and (best is None or len(zone_name) > len(_norm(best.name))):
            best = zone
    return best


def name_servers(zone) -> list[str]:
    """The zone's name servers, absolute (with the trailing dot)."""
    return [_norm(ns) for ns in zone.delegation_set.name_servers]


def record_values(zone, name: str, rtype: str) -> list[str]:
    """Values of the zone's record set `name`/`rtype` (plain records only; aliases have no values)."""
    wanted = _norm(name)
    for rrset in list(zone.rrsets):
        if rrset.type == rtype and _norm(rrset.name) == wanted:
            return [str(v["Value"] if isinstance(v, dict) else v) for v in rrset.records or []]
    return []


def answer(wire: bytes) -> bytes | None:
    """The response to one DNS query message (None for what is not a well-formed query)."""
    try:
        query = dns.message.from_wire(wire)
    except Exception:  # anything unparsable is dropped, as a public server would
        return None
    response = dns.message.make_response(query)
    response.flags &= ~dns.flags.RA
    if len(query.question) != 1:
        response.set_rcode(dns.rcode.FORMERR)
        return response.to_wire()
    question = query.question[0]
    qname = question.name.to_text()
    rtype = dns.rdatatype.to_text(question.rdtype)
    zone = public_zone_for(qname)
    if zone is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()
    if rtype == "NS" and _norm(qname) == _norm(zone.name):
        values = name_servers(zone)
    else:
        values = record_values(zone, qname, rtype)
    if values:
        response.answer.append(dns.rrset.from_text_list(question.name, 300, dns.rdataclass.IN, question.rdtype, values))
    return response.to_wire()


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        reply = answer(data)
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _Server(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = False


def serve(host: str, port: int) -> _Server:
    """Start the server on UDP host:port in a daemon thread; stop it with `.shutdown()`."""
    server = _Server((host, port), _Handler)
    threading.Thread(target=server.serve_forever, name="emulator-dns", daemon=True).start()
    return server
