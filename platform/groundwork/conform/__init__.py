"""`groundwork conform`: a black-box conformance suite for the platform contract (docs/platform-contract.md).

It starts a service (any language) on loopback with a test OTLP receiver and test downstreams it controls, or
probes one already running, and judges every clause of the contract from outside: one result per clause,
pass / fail / not applicable, each with its evidence.
"""
