//! The state document, its format versions, and the local and PostgreSQL stores with locks.
