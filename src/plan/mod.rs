//! The planner: Desired + Observed + Recorded -> Plan. Pure: no I/O, no printing.
