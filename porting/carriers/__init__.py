"""The carrier-adapter seam: how a port order talks to the winning carrier's porting
API (docs/carriers.md). `base` is the interface, `registry` picks an adapter by a
connection's provider, `manual` is today's behaviour (the PM types every fact in),
`telnyx` talks to Telnyx's porting API, `services` are the writes that use them."""
