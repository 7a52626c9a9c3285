//! wacfg-sim: a local HTTP server that behaves like the Graph API endpoints wacfg uses.
