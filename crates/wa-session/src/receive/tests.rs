//! Unit tests: two independent stores, stanzas built with the fan-out.
