"""A DNS server on loopback whose answers a test sets: what "public DNS" says in a delegation test.

    with DnsStub() as dns:                 # UDP on 127.0.0.1, a free port
        dns.ns["example.com."] = ["ns-1.example.net."]   # NS answer for that name (or a callable giving it)
        dns.silent = True                  # drop every query (a resolver that never answers)
        dns.address                        # "127.0.0.1:PORT", for acm_dns_resolvers / resolvers
        dns.queries                        # [(name, type)] asked so far

Names without an entry answer NXDOMAIN; an entry of [] answers NOERROR with no NS (the name exists).
"""

from __future__ import annotations

import socket
import threading

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class DnsStub:
    def __init__(self):
        self.ns: dict[str, list[str]] = {}
        self.silent = False
        self.queries: list[tuple[str, str]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._sock.getsockname()
        return f"{host}:{port}"

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().lower()
        self.queries.append((name, dns.rdatatype.to_text(question.rdtype)))
        answers = self.ns.get(name)
        answers = answers() if callable(answers) else answers
        if answers is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.NS and answers:
            response.answer.append(
                dns.rrset.from_text_list(question.name, 300, dns.rdataclass.IN, dns.rdatatype.NS, answers)
            )
        return response

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, client = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if self.silent:
                continue
            self._sock.sendto(self._answer(dns.message.from_wire(wire)).to_wire(), client)

    def __enter__(self) -> DnsStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()
