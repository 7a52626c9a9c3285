//! The Graph API client: transport, retries, pacing, wire types and their conversion into
//! `model::Observed`. The token never leaves this module in any text.
