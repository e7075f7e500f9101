"""The data plane: a converged environment on the emulator, running as real software on this machine.

A test and demo harness, never part of plugins/ or roles/. The emulator holds the control plane;
this package turns it into hosts and traffic, the way AWS would run them:

- every running EC2 instance of the environment becomes a systemd container (podman) booted from
  the instance's own user data, on a network the harness creates (the VPC's CIDR, the instance's
  private IP, no route to anything but the emulator);
- HAProxy stands in for the load balancer, configured from the emulator's listeners, rules, target
  groups and health checks; what HAProxy sees of each target goes back to the emulator's target
  health;
- a local CA signs certificates for the names on the ACM certificates;
- the edge (CloudFront and WAF stand-ins) plugs in on top (see "Plug-ins").

Entry points (the Makefile's e2e-up / e2e-down run these):

    python tools/dataplane up   --env prod   start the emulator if none runs, converge, boot, serve
    python tools/dataplane down --env prod   remove every container, network and process it made
    python tools/dataplane status --env prod print the state file

Layout (one module per concern; each one's docstring says what it stands in for):

    __main__.py   the CLI above (`python tools/dataplane ...`)
    cli.py        the order of `up` and `down`; calls the plug-ins
    state.py      the state file `.cache/dataplane/<env>.json` and its directory
    ca.py         the local CA and the certificates for the ACM certificates' names
    addresses.py  the loopback addresses the host-side listeners publish on, per environment
    runner.py     the environment every command of the harness runs with (emulator, resolve, CA)

The state file (`.cache/dataplane/<env>.json`) is the interface to tests, people and plug-ins:

    env          the environment (dev, staging, prod)
    emulator     the emulator's endpoint on the host (http://127.0.0.1:PORT)
    api_url      the API through the load balancer stand-in (https://api.<domain>/api for prod)
    website_url  the website, where the edge serves one (the edge fills it; null until then)
    ca_bundle    the local CA's certificate (PEM): trust it to verify every stand-in's TLS
    resolve      curl --resolve entries, "host:port:address" (the load balancer's and the edge's names)
    hosts        instance id -> container name
    dir          the directory of this environment's files (certificates, HAProxy config, logs)
    addresses    name -> loopback address (alb, edge, ...): where each host-side listener publishes
    processes    name -> PID of each process the harness started (down stops them by PID)
    started_emulator  true when `up` started the emulator (then `down` stops it)

Plug-ins: a module `edge` in this package (tools/dataplane/edge.py or edge/), when it exists, is
called by `up` after the hosts and the load balancer stand-in serve, and by `down` first:

    edge.up(state: State) -> None     may set state["website_url"], extend state["resolve"],
                                      add to state["processes"] (down stops those by PID)
    edge.down(state: State) -> None   removes what edge.up made (must not fail when nothing is there)

`state` is a State (a dict saved to the state file after each step); `state.dir` is the directory
for the plug-in's files and `state.address("edge")` its loopback address.

Network rules: containers talk to each other on their own network and reach the emulator through
that network's gateway (the emulator also listens there); host-side listeners publish on 127.0.0.x
only; request loops are bounded in count and time.
"""
