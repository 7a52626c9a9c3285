//! Loading configuration files: YAML to a tree in which every node and key keeps its span.
//! No meaning yet: that is `validate/`.
